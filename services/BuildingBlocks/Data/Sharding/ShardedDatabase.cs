using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Platform.Data.Sharding;

/// <summary>
/// A service database split into shards by bucket (<see cref="Buckets"/>): which shard owns which bucket is what the
/// shards themselves say (<see cref="BucketOwnership"/>), read by every process into a map that is refreshed every
/// <see cref="ShardingOptions.RefreshInterval"/>, when a bucket has no owner in it, and when a write finds its bucket gone.
/// The map only routes: a shard refuses writes to buckets it does not own, so a stale map costs a retry, never a misplaced row.
/// </summary>
public sealed partial class ShardedDatabase<TContext> : IDisposable where TContext : DbContext
{
    private const int NoOwner = -1;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RouteRetryPause = TimeSpan.FromMilliseconds(200);
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private int[] _owners = [.. Enumerable.Repeat(NoOwner, Buckets.Count)];
    private bool[] _answered;
    private long _refreshedAt = long.MinValue;
    private int _refreshRequested;

    internal ShardedDatabase(IReadOnlyList<Shard<TContext>> shards, TimeProvider time, ILogger logger)
    {
        Shards = shards;
        _answered = new bool[shards.Count];
        _time = time;
        _logger = logger;
    }

    /// <summary>Every shard, in <see cref="ShardingOptions.Shards"/> order.</summary>
    public IReadOnlyList<Shard<TContext>> Shards { get; }

    /// <summary>Whether each shard answered the last time the map was read (for the health check and fan-out reads).</summary>
    public IReadOnlyList<bool> Answered => Volatile.Read(ref _answered);

    /// <summary>Whether the map has been read at least once.</summary>
    public bool Loaded => Interlocked.Read(ref _refreshedAt) != long.MinValue;

    /// <summary>The shard that owns <paramref name="bucket"/> in this process's map, or null while none does.</summary>
    public Shard<TContext>? OwnerOf(int bucket) => Volatile.Read(ref _owners)[bucket] is var owner and >= 0 ? Shards[owner] : null;

    /// <summary>The buckets each shard owns in this process's map.</summary>
    public IReadOnlyList<int> BucketsOf(Shard<TContext> shard)
    {
        var owners = Volatile.Read(ref _owners);
        return [.. Enumerable.Range(0, Buckets.Count).Where(b => owners[b] == shard.Index)];
    }

    /// <summary>
    /// The shard that owns <paramref name="bucket"/>. When none does in the map, reads the map again — and, for up to
    /// <paramref name="wait"/>, again until one does (a move's fence lasts a moment); then <see cref="ShardUnavailableException"/>.
    /// </summary>
    public async ValueTask<Shard<TContext>> RouteAsync(int bucket, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (OwnerOf(bucket) is { } owner)
        {
            return owner;
        }

        var deadline = _time.GetTimestamp() + (long)(wait.TotalSeconds * _time.TimestampFrequency);
        while (true)
        {
            await RefreshAsync(RouteRetryPause, cancellationToken);
            if (OwnerOf(bucket) is { } found)
            {
                return found;
            }

            if (_time.GetTimestamp() >= deadline)
            {
                throw new ShardUnavailableException(bucket);
            }

            await Task.Delay(RouteRetryPause, _time, cancellationToken);
        }
    }

    /// <summary>Asks for a refresh without waiting for it (a write found its bucket gone: the map is out of date).</summary>
    public void RequestRefresh()
    {
        if (Interlocked.Exchange(ref _refreshRequested, 1) == 0)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await RefreshAsync(TimeSpan.Zero, CancellationToken.None);
                }
                finally
                {
                    Volatile.Write(ref _refreshRequested, 0);
                }
            });
        }
    }

    /// <summary>
    /// Reads every shard's buckets, unless a read that started at most <paramref name="maxAge"/> before this call has
    /// completed (callers at the same moment share one read). A shard that does not answer keeps the buckets it had: its
    /// customers then get its own errors (503), not another shard's. A bucket two shards claim (a move's switch, read half
    /// before and half after) has no owner until the next read.
    /// </summary>
    public async Task RefreshAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        var asked = _time.GetTimestamp();
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            if (Interlocked.Read(ref _refreshedAt) >= asked - (long)(maxAge.TotalSeconds * _time.TimestampFrequency))
            {
                return;
            }

            var started = _time.GetTimestamp();
            var owned = await Task.WhenAll(Shards.Select(shard => AskAsync(shard, cancellationToken)));
            var previous = Volatile.Read(ref _owners);
            var owners = new int[Buckets.Count];
            Array.Fill(owners, NoOwner);
            var claimed = new bool[Buckets.Count];
            for (var bucket = 0; bucket < Buckets.Count; bucket++)
            {
                if (previous[bucket] >= 0 && owned[previous[bucket]] is null)
                {
                    owners[bucket] = previous[bucket]; // its shard did not answer: as before
                    claimed[bucket] = true;
                }
            }

            foreach (var shard in Shards)
            {
                foreach (var bucket in owned[shard.Index] ?? [])
                {
                    if (claimed[bucket])
                    {
                        LogClaimedTwice(_logger, bucket, shard.Name);
                        owners[bucket] = NoOwner;
                        continue;
                    }

                    owners[bucket] = shard.Index;
                    claimed[bucket] = true;
                }
            }

            Volatile.Write(ref _owners, owners);
            Volatile.Write(ref _answered, [.. owned.Select(o => o is not null)]);
            Interlocked.Exchange(ref _refreshedAt, started);
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private async Task<IReadOnlyList<int>?> AskAsync(Shard<TContext> shard, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AskTimeout);
        try
        {
            return await shard.OwnedBucketsAsync(timeout.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogNotAnswered(_logger, shard.Name, e.Message);
            return null;
        }
    }

    public void Dispose() => _refreshing.Dispose();

    [LoggerMessage(LogLevel.Warning, "Shard {Shard} did not say which buckets it owns: {Reason}")]
    private static partial void LogNotAnswered(ILogger logger, string shard, string reason);

    [LoggerMessage(LogLevel.Warning, "Bucket {Bucket} is claimed by {Shard} and another shard; not routed until the next read")]
    private static partial void LogClaimedTwice(ILogger logger, int bucket, string shard);
}
