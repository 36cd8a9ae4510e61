using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.AppHost.Operations;

namespace Platform.AppHost.Tests.Services;

/// <summary>Direct access to the platform's Postgres servers, to check what a request did (or did not) write.</summary>
internal static partial class Databases
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static string[] Replicas { get; } = ["postgres-replica1", "postgres-replica2"];

    /// <summary>A fresh, unpooled connection to a database resource (or a server resource plus a database name).</summary>
    public static async Task<NpgsqlConnection> OpenAsync(DistributedApplication app, string resource, string? database = null)
    {
        var connectionString = $"{await app.ConnectionStringAsync(resource, Cancellation)};Pooling=false;Host Recheck Seconds=0";
        var connection = new NpgsqlConnection(database is null ? connectionString : $"{connectionString};Database={database}");
        await connection.OpenAsync(Cancellation);
        return connection;
    }

    /// <summary>A scalar from the primary: the truth, whatever the replicas have replayed.</summary>
    public static async Task<T> ScalarAsync<T>(DistributedApplication app, string database, string sql, params object[] parameters)
    {
        await using var connection = await OpenAsync(app, database);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync(Cancellation))!;
    }

    /// <summary>The orders' shards in the running app: <c>ordersdb</c>, <c>ordersdb2</c>, … (a customer's orders are all on one).</summary>
    public static IReadOnlyList<string> OrderShards(DistributedApplication app) =>
        [.. app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<IResourceWithConnectionString>()
            .Select(r => r.Name).Where(name => OrderShardName().IsMatch(name)).Order(StringComparer.Ordinal)];

    /// <summary>A count (<c>count(*)</c>) over every orders shard, added up.</summary>
    public static async Task<long> CountOrdersAsync(DistributedApplication app, string sql, params object[] parameters)
    {
        var total = 0L;
        foreach (var shard in OrderShards(app))
        {
            total += await ScalarAsync<long>(app, shard, sql, parameters);
        }

        return total;
    }

    /// <summary>A scalar from the orders shard that has one (not null): where the order is.</summary>
    public static async Task<T?> OrdersScalarAsync<T>(DistributedApplication app, string sql, params object[] parameters) where T : class
    {
        foreach (var shard in OrderShards(app))
        {
            await using var connection = await OpenAsync(app, shard);
            await using var command = new NpgsqlCommand(sql, connection);
            foreach (var parameter in parameters)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = parameter });
            }

            if (await command.ExecuteScalarAsync(Cancellation) is T value)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>Which shard owns each bucket, from every shard's <c>shard_buckets</c> (a bucket no shard owns is missing).</summary>
    public static async Task<Dictionary<int, string>> BucketOwnersAsync(DistributedApplication app)
    {
        var owners = new Dictionary<int, string>();
        foreach (var shard in OrderShards(app))
        {
            await using var connection = await OpenAsync(app, shard);
            await using var command = new NpgsqlCommand("SELECT bucket FROM shard_buckets", connection);
            await using var reader = await command.ExecuteReaderAsync(Cancellation);
            while (await reader.ReadAsync(Cancellation))
            {
                owners.Add(reader.GetInt16(0), shard);
            }
        }

        return owners;
    }

    /// <summary>Moves a bucket to <paramref name="shard"/> as an operator does: the orders' dashboard command, run to its end.</summary>
    public static Task<ExecuteCommandResult> MoveBucketAsync(DistributedApplication app, int bucket, string shard) =>
        app.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync("orders", BucketMoves.CommandName,
            new InteractionInputCollection(
            [
                new InteractionInput { Name = BucketMoves.BucketName, Label = "bucket", InputType = InputType.Number, Value = $"{bucket}" },
                new InteractionInput { Name = BucketMoves.ShardName, Label = "shard", InputType = InputType.Text, Value = shard },
            ]), Cancellation);

    [GeneratedRegex("^ordersdb[0-9]*$")]
    private static partial Regex OrderShardName();
}

/// <summary>
/// Stops WAL replay on every replica (<c>pg_wal_replay_pause</c>): they keep serving reads, frozen at the
/// moment of the pause, which is what a lagging replica looks like. Disposing resumes replay.
/// </summary>
internal sealed class PausedReplicas : IAsyncDisposable
{
    private readonly List<NpgsqlConnection> _connections;

    private PausedReplicas(List<NpgsqlConnection> connections) => _connections = connections;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static async Task<PausedReplicas> PauseAsync(DistributedApplication app, string database)
    {
        var connections = new List<NpgsqlConnection>();
        foreach (var replica in Databases.Replicas)
        {
            var connection = await Databases.OpenAsync(app, replica, database);
            connections.Add(connection);
            await ExecuteAsync(connection, "SELECT pg_wal_replay_pause()");
            while (await ExecuteAsync(connection, "SELECT pg_get_wal_replay_pause_state()") as string != "paused")
            {
                await Task.Delay(10, Cancellation);
            }
        }

        return new PausedReplicas(connections);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await ExecuteAsync(connection, "SELECT pg_wal_replay_resume()");
            await connection.DisposeAsync();
        }
    }

    private static async Task<object?> ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(CancellationToken.None);
    }
}
