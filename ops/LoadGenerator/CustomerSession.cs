using System.Net;
using Microsoft.Extensions.Options;
using Platform.Testing;

namespace Platform.LoadGenerator;

/// <summary>
/// The customer's access token, got as a browser gets it — authorization code with PKCE through the gateway, as the
/// public client <c>loadgen</c> — and got again shortly before it expires.
/// </summary>
public sealed class CustomerSession(IOptions<LoadOptions> options, TimeProvider time) : IDisposable
{
    private static readonly Uri RedirectUri = new("http://localhost/loadgen/signed-in"); // the client's, never visited
    private readonly SemaphoreSlim _signingIn = new(1, 1);
    private (string Token, DateTimeOffset RenewAt)? _current;

    public async Task<string> TokenAsync(CancellationToken ct)
    {
        if (_current is { } current && time.GetUtcNow() < current.RenewAt)
        {
            return current.Token;
        }

        await _signingIn.WaitAsync(ct);
        try
        {
            if (_current is not { } fresh || time.GetUtcNow() >= fresh.RenewAt)
            {
                var settings = options.Value;
                using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
                {
                    BaseAddress = settings.Gateway,
                };
                var tokens = await CodeFlowSignIn.SignInAsync(browser, "loadgen", clientSecret: null, RedirectUri,
                    settings.Customer, settings.Password, "catalog orders", ct);
                _current = (tokens.AccessToken, time.GetUtcNow().AddSeconds(Math.Max(tokens.ExpiresIn - 60, tokens.ExpiresIn / 2)));
            }

            return _current!.Value.Token;
        }
        finally
        {
            _signingIn.Release();
        }
    }

    /// <summary>A 401: the token is taken again on the next request.</summary>
    public void Expire() => _current = null;

    public void Dispose() => _signingIn.Dispose();
}
