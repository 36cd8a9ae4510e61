using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Platform.Testing;

public sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("refresh_token")] string? RefreshToken,
    [property: JsonPropertyName("id_token")] string? IdToken,
    [property: JsonPropertyName("expires_in")] int ExpiresIn);

/// <summary>
/// Signs a user in to the identity service the way the web app does: authorization code with PKCE, the login
/// form in between. Shared by the tests, the benchmarks and the load generator (compiled into each), so all use customer tokens.
/// </summary>
public static partial class CodeFlowSignIn
{
    /// <summary>
    /// Runs the whole flow in <paramref name="browser"/> (no automatic redirects; a cookie container, which keeps
    /// the identity service's session afterwards) for the <c>web</c> client and returns its tokens.
    /// </summary>
    public static Task<TokenResponse> SignInAsync(HttpClient browser, string clientSecret, Uri redirectUri,
        string email, string password, string scope, CancellationToken ct) =>
        SignInAsync(browser, "web", clientSecret, redirectUri, email, password, scope, ct);

    /// <summary>The same for any client: a public one (<paramref name="clientSecret"/> null) proves itself by PKCE alone.</summary>
    public static async Task<TokenResponse> SignInAsync(HttpClient browser, string clientId, string? clientSecret, Uri redirectUri,
        string email, string password, string scope, CancellationToken ct)
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var state = Guid.NewGuid().ToString("N");
        var authorize = $"/connect/authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(redirectUri.ToString())}" +
                        $"&scope={Uri.EscapeDataString(scope)}&code_challenge={challenge}&code_challenge_method=S256&state={state}";

        // Not logged in yet: the provider sends the browser to its login page.
        using var toLogin = await browser.GetAsync(new Uri(authorize, UriKind.Relative), ct);
        using var login = await SubmitLoginAsync(browser, RedirectOf(toLogin), email, password, ct);

        // Logged in: back to the authorize request, which now redirects to the client with a code.
        using var toClient = await browser.GetAsync(RedirectOf(login), ct);
        var callback = RedirectOf(toClient);
        var query = System.Web.HttpUtility.ParseQueryString(callback.Query);
        if (!callback.ToString().StartsWith(redirectUri.ToString(), StringComparison.Ordinal) || query["state"] != state || query["code"] is null)
        {
            throw new InvalidOperationException($"The provider answered the sign-in with {callback}.");
        }

        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = query["code"]!,
            ["redirect_uri"] = redirectUri.ToString(),
            ["client_id"] = clientId,
            ["code_verifier"] = verifier,
        };
        if (clientSecret is not null)
        {
            form["client_secret"] = clientSecret;
        }

        using var exchange = await browser.PostAsync(new Uri("/connect/token", UriKind.Relative), new FormUrlEncodedContent(form), ct);
        exchange.EnsureSuccessStatusCode();
        return (await exchange.Content.ReadFromJsonAsync<TokenResponse>(ct))!;
    }

    /// <summary>Loads the login form (for its anti-forgery token) and posts it.</summary>
    public static async Task<HttpResponseMessage> SubmitLoginAsync(HttpClient browser, Uri loginPage, string email, string password, CancellationToken ct)
    {
        var form = await browser.GetStringAsync(loginPage, ct);
        var returnUrl = System.Web.HttpUtility.ParseQueryString(new Uri(browser.BaseAddress!, loginPage).Query)["ReturnUrl"] ?? "/";
        return await browser.PostAsync(new Uri("/account/login", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Email"] = email,
            ["Password"] = password,
            ["ReturnUrl"] = returnUrl,
            ["__RequestVerificationToken"] = AntiforgeryToken(form),
        }), ct);
    }

    /// <summary>The anti-forgery token of a page's form.</summary>
    public static string AntiforgeryToken(string page) => AntiforgeryField().Match(page).Groups[1].Value;

    private static Uri RedirectOf(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location is { } location
            ? location
            : throw new InvalidOperationException($"Expected a redirect from {response.RequestMessage?.RequestUri}, got {(int)response.StatusCode}.");

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
