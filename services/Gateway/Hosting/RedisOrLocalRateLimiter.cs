using System.Threading.RateLimiting;
using StackExchange.Redis;

namespace Platform.Gateway.Hosting;

/// <summary>
/// Counts in Redis (shared by every gateway instance); while Redis cannot be reached, counts in this instance instead,
/// so that a Redis outage loosens the limit a little rather than failing every request.
/// </summary>
internal sealed class RedisOrLocalRateLimiter(RateLimiter shared, RateLimiter local) : RateLimiter
{
    // Idle only when both are: a limiter reported idle is disposed by its partitioned owner, even with a request inside.
    public override TimeSpan? IdleDuration => shared.IdleDuration is { } sharedIdle && local.IdleDuration is { } localIdle
        ? (sharedIdle < localIdle ? sharedIdle : localIdle)
        : null;

    public override RateLimiterStatistics? GetStatistics() => local.GetStatistics();

    // Answering from the local count would skip the shared one: fail, and the middleware asks AcquireAsync (Redis).
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => shared.AttemptAcquire(permitCount);

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        try
        {
            return await shared.AcquireAsync(permitCount, cancellationToken);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return await local.AcquireAsync(permitCount, cancellationToken);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            shared.Dispose();
            local.Dispose();
        }

        base.Dispose(disposing);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await shared.DisposeAsync();
        await local.DisposeAsync();
        await base.DisposeAsyncCore();
    }
}
