using Microsoft.Extensions.Caching.Hybrid;
using StackExchange.Redis;

namespace Platform.Catalog.Products;

/// <summary>
/// Tells the other catalog instances which cache tags this one invalidated (Redis pub/sub), so that their in-memory
/// copies go at once too. HybridCache shares a tag invalidation through Redis only for entries an instance reads
/// from Redis afterwards, not for what it already holds in memory — that would stay up to
/// <c>Catalog:Cache:LocalExpiration</c> old in every instance but the one that made the change (or consumed the event).
/// While Redis is down nothing is shared, and memory copies expire on their own.
/// </summary>
public sealed partial class CacheInvalidations(IConnectionMultiplexer redis, HybridCache cache, ILogger<CacheInvalidations> logger)
    : BackgroundService
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("catalog:cache-invalidations");

    private readonly string _instance = Guid.NewGuid().ToString("N");

    /// <summary>Announces <paramref name="tags"/> (already invalidated here) to the other instances.</summary>
    public async Task PublishAsync(IEnumerable<string> tags)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, $"{_instance} {string.Join(' ', tags)}");
        }
        catch (RedisException e)
        {
            LogNotShared(logger, e.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Subscribed once, the multiplexer re-subscribes by itself after a reconnect; only the first time needs retries.
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var messages = await redis.GetSubscriber().SubscribeAsync(Channel);
                messages.OnMessage(OnInvalidatedAsync);
                return;
            }
            catch (RedisException)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    private async Task OnInvalidatedAsync(ChannelMessage message)
    {
        var parts = ((string?)message.Message ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || parts[0] == _instance)
        {
            return;
        }

        foreach (var tag in parts[1..])
        {
            try
            {
                await cache.RemoveByTagAsync(tag);
            }
            catch (RedisException e)
            {
                LogNotShared(logger, e.Message);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Cache invalidations are not shared with the other catalog instances; Redis is unavailable: {Reason}")]
    private static partial void LogNotShared(ILogger logger, string reason);
}
