using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Platform.Data.Sharding;

/// <summary>
/// The migration step of a sharded service (<see cref="MigrationStep"/>, once for all shards): migrates every shard, then,
/// on a new deployment only, gives out the buckets — bucket <c>b</c> to shard <c>b mod N</c>. After that only moves change
/// who owns what: a shard added later starts empty, and buckets are moved to it.
/// </summary>
public static partial class ShardedMigrationStep
{
    /// <summary>Runs the step (or, with <see cref="MigrationStep.WaitArgument"/>, waits until every shard has been migrated).</summary>
    public static async Task RunAsync<TContext>(string[] args, Action<HostApplicationBuilder> configure) where TContext : DbContext
    {
        var builder = Host.CreateApplicationBuilder(args);
        configure(builder);
        using var host = builder.Build();
        var shards = host.Services.GetRequiredService<ShardedDatabase<TContext>>().Shards;
        if (MigrationStep.IsWaitRequested(args))
        {
            await host.WaitForMigrationsAsync(async (_, ct) =>
            {
                var pending = new List<string>();
                foreach (var shard in shards)
                {
                    await using var db = shard.CreateContext();
                    pending.AddRange((await db.Database.GetPendingMigrationsAsync(ct)).Select(m => $"{shard.Name}: {m}"));
                }

                if (pending.Count == 0)
                {
                    // Migrated, but the buckets not given out yet: the service would answer 503 to every customer.
                    await using var first = shards[0].CreateContext();
                    if (!await first.Database.SqlQuery<int>($"SELECT 1 AS \"Value\" FROM shard_map_seeded").AnyAsync(ct))
                    {
                        pending.Add($"{shards[0].Name}: the buckets given out");
                    }
                }

                return pending;
            });
            return;
        }

        var configuration = host.Services.GetRequiredService<IConfiguration>();
        foreach (var shard in shards)
        {
            await using var db = shard.CreateContext();
            await db.Database.MigrateAsync();
            await db.RestrictConnectAsync(configuration, default);
        }

        await SeedBucketsAsync(shards, host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ShardedMigrationStep)));
    }

    /// <summary>
    /// The other shards first, the first shard last together with the mark that says it is done: a step that stops half-way
    /// does it all again next time (each insert skips what is there), and a finished one never again.
    /// </summary>
    private static async Task SeedBucketsAsync<TContext>(IReadOnlyList<Shard<TContext>> shards, ILogger logger) where TContext : DbContext
    {
        await using (var first = shards[0].CreateContext())
        {
            var seeded = await first.Database.SqlQuery<int>($"SELECT shards AS \"Value\" FROM shard_map_seeded").ToListAsync();
            if (seeded is [var count, ..])
            {
                foreach (var shard in shards)
                {
                    await using var db = shard.CreateContext();
                    if (await db.Database.SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM shard_buckets").SingleAsync() == 0)
                    {
                        LogEmptyShard(logger, shard.Name, count);
                    }
                }

                return;
            }
        }

        foreach (var shard in shards.Reverse())
        {
            await using var db = shard.CreateContext();
            await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            {
                await using var transaction = await db.Database.BeginTransactionAsync();
                await db.Database.ExecuteSqlAsync($"""
                    INSERT INTO shard_buckets (bucket)
                    SELECT b FROM generate_series(0, {Buckets.Count - 1}) AS b WHERE b % {shards.Count} = {shard.Index}
                    ON CONFLICT DO NOTHING
                    """);
                if (shard.Index == 0)
                {
                    await db.Database.ExecuteSqlAsync($"INSERT INTO shard_map_seeded (shards) VALUES ({shards.Count})");
                }

                await transaction.CommitAsync();
            });
        }

        LogSeeded(logger, Buckets.Count, shards.Count);
    }

    [LoggerMessage(LogLevel.Information, "Gave out {Buckets} buckets over {Shards} shards")]
    private static partial void LogSeeded(ILogger logger, int buckets, int shards);

    [LoggerMessage(LogLevel.Warning, "Shard {Shard} owns no bucket (the buckets were given out over {Shards} shards): move buckets to it")]
    private static partial void LogEmptyShard(ILogger logger, string shard, int shards);
}
