using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Platform.AppHost.Tests.Identity;

/// <summary>
/// Drives the running identity service the way a browser and a client application would — from <paramref name="from"/>
/// (another loopback address: a client of its own to the login limit), if given.
/// </summary>
internal sealed class IdentityClient(DistributedApplication app, string? from = null)
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
        return await LogInAsync(browser, email, password, scope, ct);
    }

    /// <summary>The same in <paramref name="browser"/>, which keeps the identity service's session cookie afterwards.</summary>
    public async Task<TokenResponse> LogInAsync(HttpClient browser, string email, string password, string scope, CancellationToken ct) =>
        await CodeFlowSignIn.SignInAsync(browser, await SecretAsync("identity-web-secret", ct), new Uri(WebRedirectUri), email, password, scope, ct);

    /// <summary>Whether <paramref name="browser"/> has a session: an authorize request with prompt=none answers with a code only then.</summary>
    public static async Task<bool> IsSignedInAsync(HttpClient browser, CancellationToken ct)
    {
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(RandomNumberGenerator.GetBytes(32)));
        using var response = await browser.GetAsync(new Uri(
            $"/connect/authorize?response_type=code&client_id=web&redirect_uri={Uri.EscapeDataString(WebRedirectUri)}" +
            $"&scope=openid&code_challenge={challenge}&code_challenge_method=S256&prompt=none", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var query = System.Web.HttpUtility.ParseQueryString(response.Headers.Location!.Query);
        Assert.True(query["code"] is not null || query["error"] == "login_required", response.Headers.Location.ToString());
        return query["code"] is not null;
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
    public static Task<HttpResponseMessage> SubmitLoginAsync(HttpClient browser, Uri loginPage, string email, string password, CancellationToken ct) =>
        CodeFlowSignIn.SubmitLoginAsync(browser, loginPage, email, password, ct);

    /// <summary>The anti-forgery token of a page's form.</summary>
    public static string AntiforgeryToken(string page) => CodeFlowSignIn.AntiforgeryToken(page);

    public HttpClient Browser()
    {
        var handler = Gateway.GatewayClient.Handler(from);
        handler.CookieContainer = new CookieContainer();
        return new(handler) { BaseAddress = BaseAddress, Timeout = RequestTimeout };
    }

    /// <summary>A client for one call; a short timeout, so that a service that is down fails the test instead of stalling it.</summary>
    public HttpClient Http() => new(Gateway.GatewayClient.Handler(from)) { BaseAddress = BaseAddress, Timeout = RequestTimeout };

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
}
