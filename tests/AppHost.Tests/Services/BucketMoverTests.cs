using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Data.Sharding;

namespace Platform.AppHost.Tests.Services;

/// <summary>
/// The sharding building block's mover on two scratch shards of a probe table: a move stopped in the middle of its fence
/// gives the bucket back to its source (never leaves it to no shard), and the move run again afterwards completes.
/// </summary>
[Collection(SharedAppCollection.Name)]
public sealed class BucketMoverTests(SharedAppFixture fixture)
{
    private const int Bucket = 42;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_move_stopped_while_its_bucket_is_fenced_gives_the_bucket_back_to_its_source_and_a_next_move_completes()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        string[] names = [$"mover_a_{suffix}", $"mover_b_{suffix}"];
        var server = await fixture.App.ConnectionStringAsync("postgres", Cancellation);
        try
        {
            foreach (var name in names)
            {
                await fixture.App.ServerCommandAsync($"CREATE DATABASE {name}");
                await ExecuteAsync($"{server};Database={name}", $"CREATE TABLE probe_rows (id uuid PRIMARY KEY, bucket smallint NOT NULL); {OwnershipSql()}");
            }

            // The source owns the bucket and holds its rows.
            var (source, target) = ($"{server};Database={names[0]}", $"{server};Database={names[1]}");
            await ExecuteAsync(source, $"INSERT INTO shard_buckets VALUES ({Bucket}); INSERT INTO probe_rows SELECT gen_random_uuid(), {Bucket} FROM generate_series(1, 20)");

            using var host = Host(names, server);
            var database = host.Services.GetRequiredService<ShardedDatabase<ProbeShardDb>>();
            using var stop = new CancellationTokenSource();
            var rows = new ProbeRows { StopDuringFence = stop };

            // Stopped while fenced: the source had given the bucket up, the target not yet taken it.
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                BucketMover.MoveAsync(database, rows, Bucket, names[1], TimeSpan.Zero, NullLogger.Instance, stop.Token));
            Assert.True(rows.Fenced, "the stop did not come during the fence");
            Assert.True(await OwnsAsync(source));
            Assert.False(await OwnsAsync(target));
            Assert.Equal(20L, await CountAsync(source));

            // Nothing is left locked or half-done: the move again, to its end.
            var moved = await BucketMover.MoveAsync(database, new ProbeRows(), Bucket, names[1], TimeSpan.Zero, NullLogger.Instance, Cancellation);
            Assert.Equal(20, moved.Copied);
            Assert.False(await OwnsAsync(source));
            Assert.True(await OwnsAsync(target));
            Assert.Equal(0L, await CountAsync(source));
            Assert.Equal(20L, await CountAsync(target));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            foreach (var name in names)
            {
                await fixture.App.ServerCommandAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            }
        }
    }

    private static IHost Host(string[] names, string server)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < names.Length; i++)
        {
            settings[$"Sharding:Shards:{i}"] = names[i];
            settings[$"ConnectionStrings:{names[i]}"] = settings[$"ConnectionStrings:{names[i]}-readonly"] = $"{server};Database={names[i]}";
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddShardedDatabase<ProbeShardDb>(names[0]);
        return builder.Build();
    }

    /// <summary>The ownership table, function and trigger, as a service's migration adds them.</summary>
    private static string OwnershipSql()
    {
        var migration = new MigrationBuilder("Npgsql.EntityFrameworkCore.PostgreSQL");
        migration.AddBucketOwnership("probe_rows");
        return ((SqlOperation)migration.Operations.Single()).Sql;
    }

    private static async Task<bool> OwnsAsync(string connectionString) =>
        await ScalarAsync<bool>(connectionString, $"SELECT EXISTS (SELECT 1 FROM shard_buckets WHERE bucket = {Bucket})");

    private static Task<long> CountAsync(string connectionString) =>
        ScalarAsync<long>(connectionString, $"SELECT count(*) FROM probe_rows WHERE bucket = {Bucket}");

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Cancellation))!;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Cancellation);
    }

    public sealed class ProbeShardDb(DbContextOptions<ProbeShardDb> options) : DbContext(options);

    /// <summary>The probe table's rows of a bucket; optionally stopping the move when it copies what changed during the fence.</summary>
    private sealed class ProbeRows : IBucketRows
    {
        public CancellationTokenSource? StopDuringFence { get; init; }

        public bool Fenced { get; private set; }

        public async Task<int> CopyAsync(NpgsqlConnection source, NpgsqlConnection target, int bucket, DateTimeOffset? changedSince, CancellationToken cancellationToken)
        {
            if (changedSince is not null && StopDuringFence is { } stop)
            {
                Fenced = true;
                await stop.CancelAsync(); // as the AppHost's stop (SIGTERM) would, at the worst moment
                cancellationToken.ThrowIfCancellationRequested();
            }

            var ids = new List<Guid>();
            await using (var read = new NpgsqlCommand("SELECT id FROM probe_rows WHERE bucket = $1", source))
            {
                read.Parameters.Add(new NpgsqlParameter { Value = (short)bucket });
                await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    ids.Add(reader.GetGuid(0));
                }
            }

            await using var write = new NpgsqlCommand("INSERT INTO probe_rows SELECT id, $2 FROM unnest($1::uuid[]) AS id ON CONFLICT (id) DO UPDATE SET bucket = EXCLUDED.bucket", target);
            write.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
            write.Parameters.Add(new NpgsqlParameter { Value = (short)bucket });
            return await write.ExecuteNonQueryAsync(cancellationToken);
        }

        public async Task<int> DeleteAsync(NpgsqlConnection shard, int bucket, CancellationToken cancellationToken)
        {
            await using var delete = new NpgsqlCommand("DELETE FROM probe_rows WHERE bucket = $1", shard);
            delete.Parameters.Add(new NpgsqlParameter { Value = (short)bucket });
            return await delete.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
