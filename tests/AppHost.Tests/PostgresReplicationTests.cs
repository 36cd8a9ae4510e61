using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Platform.AppHost.Tests;

[Collection(SharedAppCollection.Name)]
public sealed class PostgresReplicationTests(SharedAppFixture fixture)
{
    private static readonly TimeSpan ReplicationBound = TimeSpan.FromSeconds(10);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_row_written_on_the_primary_is_readable_on_each_replica()
    {
        var table = $"replication_probe_{Guid.NewGuid():N}";
        var marker = Guid.NewGuid().ToString();
        await using (var primary = await OpenAsync("catalogdb"))
        {
            await ExecuteAsync(primary, $"CREATE TABLE {table} (marker text NOT NULL)");
            await ExecuteAsync(primary, $"INSERT INTO {table} VALUES ('{marker}')");
        }

        foreach (var replica in new[] { "postgres-replica1", "postgres-replica2" })
        {
            await using var connection = await OpenAsync(replica, database: "catalogdb");
            var found = await PollAsync(async () =>
            {
                await using var read = new NpgsqlCommand($"SELECT marker FROM {table}", connection);
                try
                {
                    return await read.ExecuteScalarAsync(Cancellation) as string;
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
                {
                    return null; // the CREATE TABLE has not been replayed yet
                }
            });
            Assert.Equal(marker, found);
        }
    }

    [Theory]
    [InlineData("postgres-replica1")]
    [InlineData("postgres-replica2")]
    public async Task A_replica_refuses_writes(string replica)
    {
        await using var connection = await OpenAsync(replica, database: "catalogdb");

        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connection, "CREATE TABLE must_not_exist (id int)"));

        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);
    }

    [Fact]
    public async Task The_readonly_connection_string_reaches_a_replica_and_the_primary_one_the_primary()
    {
        await using var reads = await OpenAsync("catalogdb-readonly");
        await using var writes = await OpenAsync("catalogdb");

        Assert.True(await InRecoveryAsync(reads));
        Assert.False(await InRecoveryAsync(writes));
        Assert.Equal("catalogdb", reads.Database);
    }

    [Fact]
    public async Task The_readonly_connection_string_falls_back_to_the_primary_while_every_replica_is_stopped()
    {
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        string[] replicas = ["postgres-replica1", "postgres-replica2"];
        try
        {
            foreach (var replica in replicas)
            {
                Assert.True((await commands.ExecuteCommandAsync(replica, KnownResourceCommands.StopCommand, Cancellation)).Success);
            }

            await using var reads = await OpenAsync("catalogdb-readonly");

            Assert.False(await InRecoveryAsync(reads));
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await fixture.App.StartAgainAsync(replica, Cancellation);
            }
        }
    }

    [Fact]
    public async Task Replicas_stream_as_the_replication_role_which_can_open_no_service_database()
    {
        await using (var primary = await OpenAsync("postgres"))
        {
            // Both replicas streaming (another test may have just restarted one), each as the replication role.
            var users = await Eventually.ReachesAsync(async () =>
            {
                await using var streams = new NpgsqlCommand("SELECT usename FROM pg_stat_replication WHERE state = 'streaming'", primary);
                var found = new List<string>();
                await using var reader = await streams.ExecuteReaderAsync(Cancellation);
                while (await reader.ReadAsync(Cancellation))
                {
                    found.Add(reader.GetString(0));
                }

                return found;
            }, found => found.Count == 2, found => $"streaming: {string.Join(", ", found)}", TimeSpan.FromSeconds(30));
            Assert.All(users, user => Assert.Equal("replicator", user));
            await using var role = new NpgsqlCommand("SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = 'replicator' AND rolreplication", primary);
            Assert.Equal(false, await role.ExecuteScalarAsync(Cancellation));
        }

        var password = await fixture.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>()
            .Single(p => p.Name == "postgres-streaming-password").GetValueAsync(Cancellation);
        var server = new NpgsqlConnectionStringBuilder(await fixture.App.ConnectionStringAsync("postgres", Cancellation))
        {
            Username = "replicator", Password = password, Database = "catalogdb", Pooling = false,
        };
        await using var catalog = new NpgsqlConnection(server.ConnectionString);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => catalog.OpenAsync(Cancellation));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    [Fact]
    public async Task Each_service_database_exists_on_the_primary()
    {
        foreach (var database in new[] { "identitydb", "catalogdb", "ordersdb", "ordersdb2" })
        {
            await using var connection = await OpenAsync(database);
            Assert.Equal(database, connection.Database);
        }
    }

    private Task<NpgsqlConnection> OpenAsync(string resource, string? database = null) =>
        Services.Databases.OpenAsync(fixture.App, resource, database);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Cancellation);
    }

    private static async Task<bool> InRecoveryAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
        return (bool)(await command.ExecuteScalarAsync(Cancellation))!;
    }

    private static async Task<T?> PollAsync<T>(Func<Task<T?>> read) where T : class
    {
        var deadline = DateTime.UtcNow + ReplicationBound;
        while (true)
        {
            var value = await read();
            if (value is not null || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(20, Cancellation);
        }
    }
}
