using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using StackExchange.Redis;

namespace Platform.Web.Hosting;

/// <summary>
/// Keeps sign-in sessions (the user's claims and tokens) in Redis, encrypted with the shared Data Protection keys:
/// the cookie holds only the session id, every web instance reads the same session, and a circuit that lives for hours
/// can look up the current tokens by the session id it was started with.
/// </summary>
public sealed partial class RedisTicketStore(IConnectionMultiplexer redis, IDataProtectionProvider protection, ILogger<RedisTicketStore> logger) : ITicketStore
{
    private readonly IDataProtector _protector = protection.CreateProtector("Platform.Web.Sessions");

    /// <summary>The claim that carries the session id (added at sign-in).</summary>
    public const string SessionClaim = "web_session";

    private static RedisKey Key(string session) => $"web:session:{session}";

    public static string? SessionOf(ClaimsPrincipal user) => user.FindFirst(SessionClaim)?.Value;

    public async Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var session = SessionOf(ticket.Principal) ?? Guid.NewGuid().ToString("N");
        await RenewAsync(session, ticket);
        return session;
    }

    public async Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        var expires = ticket.Properties.ExpiresUtc is { } at ? at - DateTimeOffset.UtcNow : TimeSpan.FromHours(8);
        await redis.GetDatabase().StringSetAsync(Key(key), _protector.Protect(TicketSerializer.Default.Serialize(ticket)), expires);
    }

    public async Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        try
        {
            var value = (byte[]?)await redis.GetDatabase().StringGetAsync(Key(key));
            return value is null ? null : TicketSerializer.Default.Deserialize(_protector.Unprotect(value));
        }
        catch (Exception e) when (e is RedisException or TimeoutException or System.Security.Cryptography.CryptographicException)
        {
            // Redis unreachable (or a session from keys since lost): the visitor is treated as signed out, pages still work.
            LogUnavailable(logger, e.Message);
            return null;
        }
    }

    public Task RemoveAsync(string key) => redis.GetDatabase().KeyDeleteAsync(Key(key));

    [LoggerMessage(LogLevel.Warning, "Sign-in session could not be read: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
