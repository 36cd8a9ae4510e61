using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;

namespace Platform.Data.Sharding;

/// <summary>One shard of a <see cref="ShardedDatabase{TContext}"/>: its own database, primary and replicas.</summary>
public sealed class Shard<TContext> where TContext : DbContext
{
    private readonly PooledDbContextFactory<TContext> _contexts;
    private readonly Lazy<ReplicatedDatabase<TContext>> _database;

    internal Shard(int index, string name, NpgsqlDataSource primary, Func<ReplicatedDatabase<TContext>> database, DbContextOptions<TContext> options)
    {
        Index = index;
        Name = name;
        Primary = primary;
        _database = new Lazy<ReplicatedDatabase<TContext>>(database);
        _contexts = new PooledDbContextFactory<TContext>(options);
    }

    /// <summary>The shard's place in <see cref="ShardingOptions.Shards"/>.</summary>
    public int Index { get; }

    /// <summary>Its connection name (<c>ordersdb2</c>): the database's name, too.</summary>
    public string Name { get; }

    /// <summary>Its primary: commands, and the moves of buckets.</summary>
    public NpgsqlDataSource Primary { get; }

    /// <summary>Queries on its replicas with read-your-writes, and its consistency tokens (made on first use: a migration step has no replicas).</summary>
    public ReplicatedDatabase<TContext> Database => _database.Value;

    /// <summary>A (pooled) context on the shard's primary, for commands; dispose it.</summary>
    public TContext CreateContext() => _contexts.CreateDbContext();

    /// <summary>The buckets the shard owns, as it says itself.</summary>
    internal async Task<IReadOnlyList<int>> OwnedBucketsAsync(CancellationToken cancellationToken)
    {
        await using var command = Primary.CreateCommand("SELECT bucket FROM shard_buckets");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var buckets = new List<int>();
        while (await reader.ReadAsync(cancellationToken))
        {
            buckets.Add(reader.GetInt16(0));
        }

        return buckets;
    }

    public override string ToString() => Name;
}
