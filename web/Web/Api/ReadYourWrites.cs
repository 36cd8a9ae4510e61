using Microsoft.AspNetCore.Components.Authorization;
using StackExchange.Redis;

namespace Platform.Web.Api;

/// <summary>
/// Remembers the <c>Consistency-Token</c> of the user's last write for a minute (in Redis: any instance, any circuit, after a
/// reload) and sends it with their reads, so that "my orders" right after checkout shows the new order even when it is read
/// from a replica. Best effort: without Redis, reads are as fresh as the replicas.
/// </summary>
public sealed class ReadYourWrites(IConnectionMultiplexer redis, AuthenticationStateProvider authentication)
{
    private static readonly TimeSpan Remembered = TimeSpan.FromMinutes(1);

    public async Task<string?> LastAsync()
    {
        if (await KeyAsync() is not { } key)
        {
            return null;
        }

        try
        {
            return await redis.GetDatabase().StringGetAsync(key);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return null;
        }
    }

    public async Task<ApiResult<T>> AfterAsync<T>(Task<ApiResult<T>> write)
    {
        var result = await write;
        if (result.ConsistencyToken is { } token && await KeyAsync() is { } key)
        {
            try
            {
                await redis.GetDatabase().StringSetAsync(key, token, Remembered);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // reads fall back to replica freshness
            }
        }

        return result;
    }

    private async Task<string?> KeyAsync() =>
        (await authentication.GetAuthenticationStateAsync()).User.FindFirst("sub")?.Value is { } user ? $"web:last-write:{user}" : null;
}
