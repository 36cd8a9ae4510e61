using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Platform.AppHost.Tests.Identity;

public sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("refresh_token")] string? RefreshToken,
    [property: JsonPropertyName("id_token")] string? IdToken,
    [property: JsonPropertyName("expires_in")] int ExpiresIn);

/// <summary>Drives the running identity service the way a browser and a client application would.</summary>
internal sealed partial class IdentityClient(DistributedApplication app)
{
    public const string WebRedirectUri = "http://localhost:5200/signin-oidc";
    public const string Admin = "admin@platform.test";
    public const string Customer = "customer@platform.test";

    public Uri BaseAddress { get; } = app.GetEndpoint("identity", "http");

    public Task<string> SecretAsync(string parameter, CancellationToken ct) =>
        app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>()
            .Single(p => p.Name == parameter).GetValueAsync(ct).AsTask()!;

    public async Task<HttpResponseMessage> ClientCredentialsAsync(string clientSecret, string scope, CancellationToken ct)
    {
        using var http = Http();
        return await http.PostAsync(new Uri("/connect/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "workers",
            ["client_secret"] = clientSecret,
            ["scope"] = scope,
        }), ct);
    }

    public async Task<TokenResponse> WorkersTokenAsync(string scope, CancellationToken ct)
    {
        using var response = await ClientCredentialsAsync(await SecretAsync("identity-workers-secret", ct), scope, ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<TokenResponse>(ct))!;
    }

    /// <summary>Authorization code + PKCE as the web app does it: authorize, log in on the form, follow redirects, exchange the code.</summary>
    public async Task<TokenResponse> LogInAsync(string email, string password, string scope, CancellationToken ct)
    {
        using var browser = Browser();
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)));
        var state = Guid.NewGuid().ToString("N");
        var authorize = $"/connect/authorize?response_type=code&client_id=web&redirect_uri={Uri.EscapeDataString(WebRedirectUri)}" +
                        $"&scope={Uri.EscapeDataString(scope)}&code_challenge={challenge}&code_challenge_method=S256&state={state}";

        // Not logged in yet: the provider sends the browser to its login page.
        using var toLogin = await browser.GetAsync(new Uri(authorize, UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.Redirect, toLogin.StatusCode);
        using var login = await SubmitLoginAsync(browser, toLogin.Headers.Location!, email, password, ct);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);

        // Logged in: back to the authorize request, which now redirects to the client with a code.
        using var toClient = await browser.GetAsync(login.Headers.Location!, ct);
        Assert.Equal(HttpStatusCode.Redirect, toClient.StatusCode);
        var callback = toClient.Headers.Location!;
        Assert.StartsWith(WebRedirectUri, callback.ToString(), StringComparison.Ordinal);
        var query = System.Web.HttpUtility.ParseQueryString(callback.Query);
        Assert.Equal(state, query["state"]);

        using var exchange = await browser.PostAsync(new Uri("/connect/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = query["code"]!,
            ["redirect_uri"] = WebRedirectUri,
            ["client_id"] = "web",
            ["client_secret"] = await SecretAsync("identity-web-secret", ct),
            ["code_verifier"] = verifier,
        }), ct);
        exchange.EnsureSuccessStatusCode();
        return (await exchange.Content.ReadFromJsonAsync<TokenResponse>(ct))!;
    }

    public async Task<HttpResponseMessage> RefreshAsync(string refreshToken, CancellationToken ct)
    {
        using var http = Http();
        return await http.PostAsync(new Uri("/connect/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
            ["client_id"] = "web",
            ["client_secret"] = await SecretAsync("identity-web-secret", ct),
        }), ct);
    }

    /// <summary>Loads the login form (for its anti-forgery token) and posts it.</summary>
    public async Task<HttpResponseMessage> SubmitLoginAsync(HttpClient browser, Uri loginPage, string email, string password, CancellationToken ct)
    {
        var form = await browser.GetStringAsync(loginPage, ct);
        var returnUrl = System.Web.HttpUtility.ParseQueryString(new Uri(BaseAddress, loginPage).Query)["ReturnUrl"] ?? "/";
        return await browser.PostAsync(new Uri("/account/login", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Email"] = email,
            ["Password"] = password,
            ["ReturnUrl"] = returnUrl,
            ["__RequestVerificationToken"] = AntiforgeryField().Match(form).Groups[1].Value,
        }), ct);
    }

    public HttpClient Browser() => new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
    {
        BaseAddress = BaseAddress,
        Timeout = RequestTimeout,
    };

    /// <summary>A client for one call; a short timeout, so that a service that is down fails the test instead of stalling it.</summary>
    public HttpClient Http() => new() { BaseAddress = BaseAddress, Timeout = RequestTimeout };

    // A safety net, not a speed check: the first requests after a start on a busy 2-core machine can take long.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    public async Task<HttpResponseMessage> RegisterAsync(string? email, string? password, CancellationToken ct)
    {
        using var http = Http();
        return await http.PostAsJsonAsync(new Uri("/users", UriKind.Relative), new { email, password }, ct);
    }

    public async Task<HttpResponseMessage> GetAsync(string path, string? accessToken, CancellationToken ct)
    {
        using var http = Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accessToken is not null)
        {
            request.Headers.Authorization = new("Bearer", accessToken);
        }

        return await http.SendAsync(request, ct);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
