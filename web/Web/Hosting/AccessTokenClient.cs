using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace Platform.Web.Hosting;

/// <summary>Talks to the token endpoint (through the gateway): refreshes users' tokens and gets the visitor token.</summary>
public sealed class AccessTokenClient(IHttpClientFactory clients, IOptionsMonitor<OpenIdConnectOptions> oidc, IOptions<OidcSettings> settings,
    RedisTicketStore sessions, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _refreshing = new();
    private (string Token, DateTimeOffset ExpiresAt)? _visitor;

    public async Task<string> VisitorTokenAsync(CancellationToken ct)
    {
        if (_visitor is { } visitor && visitor.ExpiresAt - time.GetUtcNow() > RefreshBefore)
        {
            return visitor.Token;
        }

        var response = await RequestAsync(new() { ["grant_type"] = "client_credentials", ["scope"] = settings.Value.VisitorScope }, ct)
            ?? throw new InvalidOperationException("The identity service refused the web app's own token: check its client registration.");
        _visitor = (response.AccessToken, time.GetUtcNow().AddSeconds(response.ExpiresIn));
        return response.AccessToken;
    }

    /// <summary>One refresh per session at a time on this instance; another instance refreshing too is within the provider's reuse leeway.</summary>
    public async Task<string> RefreshAsync(string session, AuthenticationTicket ticket, CancellationToken ct)
    {
        var gate = _refreshing.GetOrAdd(session, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            // Someone else may have refreshed while this waited.
            var latest = await sessions.RetrieveAsync(session) ?? ticket;
            if (DateTimeOffset.TryParse(latest.Properties.GetTokenValue("expires_at"), CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
                && at - time.GetUtcNow() > RefreshBefore && latest.Properties.GetTokenValue("access_token") is { } fresh)
            {
                return fresh;
            }

            var refreshToken = latest.Properties.GetTokenValue("refresh_token") ?? throw new SessionEndedException("No refresh token.");
            var response = await RequestAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken }, ct)
                ?? throw new SessionEndedException("The identity service refused to refresh the session.");
            latest.Properties.UpdateTokenValue("access_token", response.AccessToken);
            latest.Properties.UpdateTokenValue("expires_at", time.GetUtcNow().AddSeconds(response.ExpiresIn).ToString("o", CultureInfo.InvariantCulture));
            if (response.RefreshToken is { } rolled)
            {
                latest.Properties.UpdateTokenValue("refresh_token", rolled);
            }

            await sessions.RenewAsync(session, latest);
            return response.AccessToken;
        }
        finally
        {
            gate.Release();
            _refreshing.TryRemove(new KeyValuePair<string, SemaphoreSlim>(session, gate));
        }
    }

    private static readonly TimeSpan RefreshBefore = TimeSpan.FromMinutes(1);

    /// <summary>The token response, or null when the provider refused (400/401).</summary>
    private async Task<TokenResponse?> RequestAsync(Dictionary<string, string> form, CancellationToken ct)
    {
        var options = oidc.Get(OpenIdConnectDefaults.AuthenticationScheme);
        var configuration = await options.ConfigurationManager!.GetConfigurationAsync(ct);
        form["client_id"] = options.ClientId!;
        form["client_secret"] = options.ClientSecret!;
        using var response = await clients.CreateClient(nameof(AccessTokenClient)).PostAsync(configuration.TokenEndpoint, new FormUrlEncodedContent(form), ct);
        if (response.StatusCode is System.Net.HttpStatusCode.BadRequest or System.Net.HttpStatusCode.Unauthorized)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<TokenResponse>(ct);
    }

    private sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn,
        [property: JsonPropertyName("refresh_token")] string? RefreshToken);
}
