using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components.Authorization;

namespace Platform.Web.Hosting;

/// <summary>
/// The access token to call the APIs with: the signed-in user's (from their session in Redis, refreshed a minute before it
/// expires, so that a circuit open for hours keeps working), or for a visitor the app's own token (client credentials, scope
/// <c>catalog</c>: browsing needs no account).
/// </summary>
public sealed class UserTokens(AuthenticationStateProvider authentication, RedisTicketStore sessions, AccessTokenClient client)
{
    private static readonly TimeSpan RefreshBefore = TimeSpan.FromMinutes(1);

    public async Task<string> GetAccessTokenAsync(CancellationToken ct)
    {
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        if (RedisTicketStore.SessionOf(user) is not { } session)
        {
            return await client.VisitorTokenAsync(ct);
        }

        var ticket = await sessions.RetrieveAsync(session) ?? throw new SessionEndedException("The sign-in session is gone.");
        var expiresAt = DateTimeOffset.TryParse(ticket.Properties.GetTokenValue("expires_at"), CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? at : DateTimeOffset.MinValue;
        if (expiresAt - DateTimeOffset.UtcNow > RefreshBefore && ticket.Properties.GetTokenValue("access_token") is { } current)
        {
            return current;
        }

        return await client.RefreshAsync(session, ticket, ct);
    }
}
