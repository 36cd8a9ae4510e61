using Microsoft.EntityFrameworkCore;

namespace Platform.Data.Sharding;

/// <summary>
/// The write contexts of one scope (a request, a message), one per shard: everything in the scope that writes to a shard
/// gets the same context — an inbox and its handler share one transaction.
/// </summary>
public sealed class ShardSession<TContext>(ShardedDatabase<TContext> database) : IAsyncDisposable where TContext : DbContext
{
    private readonly Dictionary<int, TContext> _open = [];
    private readonly Dictionary<int, Shard<TContext>> _routed = [];

    /// <summary>The sharded database this session writes to.</summary>
    public ShardedDatabase<TContext> Database => database;

    /// <summary>
    /// The context on the shard that owns <paramref name="bucket"/> (waiting up to <paramref name="wait"/> for an owner) — the
    /// shard routed to first in this scope, whatever the map says later: an inbox and its handler must not part.
    /// </summary>
    public async ValueTask<TContext> WriteAsync(int bucket, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (!_routed.TryGetValue(bucket, out var shard))
        {
            _routed[bucket] = shard = await database.RouteAsync(bucket, wait, cancellationToken);
        }

        return Write(shard);
    }

    /// <summary>The context on <paramref name="shard"/>.</summary>
    public TContext Write(Shard<TContext> shard)
    {
        if (!_open.TryGetValue(shard.Index, out var db))
        {
            _open[shard.Index] = db = shard.CreateContext();
        }

        return db;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var db in _open.Values)
        {
            await db.DisposeAsync();
        }

        _open.Clear();
    }
}
