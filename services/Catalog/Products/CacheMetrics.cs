using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;

namespace Platform.Catalog.Products;

/// <summary>
/// The catalog cache's hits and misses (meter <c>Platform.Catalog</c>, <c>catalog.cache.lookups</c> by <c>cache.result</c>:
/// <c>l1_hit</c> from memory, <c>l2_hit</c> from Redis, <c>miss</c> read from the database). HybridCache counts them
/// itself, in the running totals of its event source; this listener reads those totals once a second instead of
/// counting per lookup, so the cached read path pays next to nothing for it.
/// </summary>
public sealed class CacheMetrics : EventListener, IHostedService
{
    public const string MeterName = "Platform.Catalog";
    private const string HybridCacheSource = "Microsoft-Extensions-HybridCache";

    private long _localHits;
    private long _localMisses;
    private long _distributedHits;
    private long _distributedMisses;

    public CacheMetrics(IMeterFactory meters)
    {
        meters.Create(MeterName).CreateObservableCounter("catalog.cache.lookups", Lookups, "{lookup}",
            "Catalog cache lookups by cache.result: l1_hit (memory), l2_hit (Redis), miss (read from the database).");
    }

    // A hosted service only so that it exists, and listens, from the start.
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private IEnumerable<Measurement<long>> Lookups()
    {
        var distributed = Interlocked.Read(ref _distributedHits) + Interlocked.Read(ref _distributedMisses);
        yield return Result(Interlocked.Read(ref _localHits), "l1_hit");
        yield return Result(Interlocked.Read(ref _distributedHits), "l2_hit");
        // Without a distributed cache (or before it answered) every local miss is a database read.
        yield return Result(distributed > 0 ? Interlocked.Read(ref _distributedMisses) : Interlocked.Read(ref _localMisses), "miss");
    }

    private static Measurement<long> Result(long value, string result) => new(value, new KeyValuePair<string, object?>("cache.result", result));

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == HybridCacheSource)
        {
            // Its counters only; no per-lookup events (those are Verbose).
            EnableEvents(eventSource, EventLevel.Critical, EventKeywords.None, new Dictionary<string, string?> { ["EventCounterIntervalSec"] = "1" });
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName != "EventCounters" || eventData.Payload is not [IDictionary<string, object?> counter]
            || counter.TryGetValue("Name", out var name) is false || counter.TryGetValue("Mean", out var mean) is false || mean is not double total)
        {
            return;
        }

        switch (name as string)
        {
            case "total-local-cache-hits": Interlocked.Exchange(ref _localHits, (long)total); break;
            case "total-local-cache-misses": Interlocked.Exchange(ref _localMisses, (long)total); break;
            case "total-distributed-cache-hits": Interlocked.Exchange(ref _distributedHits, (long)total); break;
            case "total-distributed-cache-misses": Interlocked.Exchange(ref _distributedMisses, (long)total); break;
        }
    }
}
