using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.AppHost.Infrastructure.Local;

namespace Platform.AppHost.Infrastructure.Postgres;

/// <summary>
/// The on-disk life of a local cluster: initialise the primary, clone replicas from it, create
/// databases. Every step is idempotent, so a restart (or a resource "Start" command) reuses data;
/// a folder only gets its final name once it is complete, so an interrupted step starts over.
/// </summary>
[UnsupportedOn("windows")]
internal static class PostgresCluster
{
    public static async Task PreparePrimaryAsync(LocalPostgresServerResource primary, IEnumerable<IResource> resources, CancellationToken ct)
    {
        var root = Path.GetDirectoryName(primary.DataDirectory)!;
        await primary.Account.CreateOwnedDirectoryAsync(root, ct);
        var password = await primary.PasswordParameter.GetValueAsync(ct) ?? "";
        var replicationPassword = await ReplicationPasswordAsync(primary, ct);
        await WriteOwnedFileAsync(primary, primary.PassFile, $"*:*:*:{PostgresDefaults.ReplicationUser}:{replicationPassword}\n", ct);

        var replicas = resources.OfType<LocalPostgresServerResource>().Where(r => r.Primary == primary).ToArray();
        // Replicas no longer in the app model (fewer configured) go; their slots go when the primary is ready.
        foreach (var stale in Directory.GetDirectories(root, $"{primary.Name}-replica*")
                     .Where(d => replicas.All(r => r.DataDirectory != d && r.DataDirectory + Building != d)))
        {
            DeleteDirectory(stale);
        }

        if (File.Exists(Path.Combine(primary.DataDirectory, "PG_VERSION")))
        {
            return;
        }

        // A fresh cluster: replicas cloned from a previous one could never stream from it.
        foreach (var replica in replicas)
        {
            DeleteDirectory(replica.DataDirectory);
        }

        var building = primary.DataDirectory + Building;
        DeleteDirectory(building);
        var passwordFile = Path.Combine(root, "initdb-password");
        await WriteOwnedFileAsync(primary, passwordFile, password, ct);
        try
        {
            await primary.Account.RunAsync(primary.Binaries.InitDb,
            [
                "-D", building, "-U", PostgresDefaults.SuperUser, $"--pwfile={passwordFile}",
                "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-instructions",
            ], ct);
        }
        finally
        {
            File.Delete(passwordFile);
        }

        Directory.Move(building, primary.DataDirectory);
    }

    public static async Task PrepareReplicaAsync(LocalPostgresServerResource replica, IServiceProvider services, CancellationToken ct)
    {
        // The primary first: it may be re-initialising (which removes stale replicas), and a clone
        // needs it running. WaitFor's own wait runs after this handler, so it cannot be relied on here.
        var primary = replica.Primary!;
        await services.GetRequiredService<ResourceNotificationService>().WaitForResourceHealthyAsync(primary.Name, ct);
        // Every start: the role a clone and the streaming use exists, with the password in the pass file.
        await PostgresLogins.EnsureReplicationRoleAsync(await primary.ConnectionStringExpression.GetValueAsync(ct) ?? "",
            await ReplicationPasswordAsync(primary, ct), ct);
        var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(replica);
        if (await WhyNotReusableAsync(replica, ct) is not { } reason)
        {
            return;
        }

        logger.LogInformation("Cloning {Replica} from {Primary}: {Reason}", replica.Name, primary.Name, reason);
        DeleteDirectory(replica.DataDirectory);
        var building = replica.DataDirectory + Building;
        DeleteDirectory(building);
        await ExecuteAsync(primary,
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", ct, replica.SlotName);
        var port = await primary.Endpoint.Property(EndpointProperty.Port).GetValueAsync(ct);
        await replica.Account.RunAsync(replica.Binaries.BaseBackup,
        [
            "-D", building,
            "-d", $"host=127.0.0.1 port={port} user={PostgresDefaults.ReplicationUser} passfile={LocalPostgresServerResource.Quote(primary.PassFile)}",
            "-X", "stream", "-C", "-S", replica.SlotName, "-c", "fast", "--no-password",
        ], ct);
        // Connection settings come from the command line at every start (the primary's port can
        // change between runs), so only the standby marker is written here.
        await WriteOwnedFileAsync(replica, Path.Combine(building, "standby.signal"), "", ct);
        Directory.Move(building, replica.DataDirectory);
    }

    /// <summary>Creates missing databases and drops the slots of replicas that are gone.</summary>
    public static async Task OnPrimaryReadyAsync(LocalPostgresServerResource primary, IEnumerable<IResource> resources,
        IServiceProvider services, CancellationToken ct)
    {
        var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(primary);
        await using var connection = await OpenAsync(primary, ct);
        foreach (var database in primary.Databases.Values)
        {
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
            if (await exists.ExecuteScalarAsync(ct) is null)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE {new NpgsqlCommandBuilder().QuoteIdentifier(database)}", connection);
                await create.ExecuteNonQueryAsync(ct);
                logger.LogInformation("Created database {Database}", database);
            }
        }

        var slots = resources.OfType<LocalPostgresServerResource>().Where(r => r.Primary == primary).Select(r => r.SlotName).ToArray();
        await using var drop = new NpgsqlCommand("""
            SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
            WHERE NOT active AND slot_type = 'physical' AND slot_name LIKE $1 AND NOT slot_name = ANY($2)
            """, connection)
        {
            Parameters = { new() { Value = primary.SlotName + "\\_replica%" }, new() { Value = slots } },
        };
        await drop.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Null when the replica's data can be started as it is; else why it must be cloned again.</summary>
    private static async Task<string?> WhyNotReusableAsync(LocalPostgresServerResource replica, CancellationToken ct)
    {
        var primary = replica.Primary!;
        if (!File.Exists(Path.Combine(replica.DataDirectory, "PG_VERSION")) || !File.Exists(Path.Combine(replica.DataDirectory, "standby.signal")))
        {
            return "no replica data yet";
        }

        // pg_control starts with the cluster's system identifier (uint64, machine byte order).
        var control = await File.ReadAllBytesAsync(Path.Combine(replica.DataDirectory, "global", "pg_control"), ct);
        var replicaIdentifier = BitConverter.ToUInt64(control, 0).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var primaryIdentifier = await ScalarAsync(primary, "SELECT system_identifier::text FROM pg_control_system()", ct);
        if (replicaIdentifier != primaryIdentifier)
        {
            return "its data belongs to another cluster";
        }

        var slot = await ScalarAsync(primary, "SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1", ct, replica.SlotName);
        return slot switch
        {
            null => "its replication slot is gone",
            "lost" => "the primary no longer has the WAL it needs",
            _ => null,
        };
    }

    private static async Task<string> ReplicationPasswordAsync(LocalPostgresServerResource primary, CancellationToken ct) =>
        await (primary.ReplicationPasswordParameter ?? throw new InvalidOperationException($"'{primary.Name}' has no replication password."))
            .GetValueAsync(ct) ?? "";

    private static async Task<string?> ScalarAsync(LocalPostgresServerResource server, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var connection = await OpenAsync(server, ct);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return (await command.ExecuteScalarAsync(ct))?.ToString();
    }

    private static async Task ExecuteAsync(LocalPostgresServerResource server, string sql, CancellationToken ct, params object[] parameters) =>
        await ScalarAsync(server, sql, ct, parameters);

    private static async Task<NpgsqlConnection> OpenAsync(LocalPostgresServerResource server, CancellationToken ct)
    {
        var connectionString = await server.ConnectionStringExpression.GetValueAsync(ct);
        var connection = new NpgsqlConnection($"{connectionString};Database=postgres;Pooling=false");
        await connection.OpenAsync(ct);
        return connection;
    }

    private static async Task WriteOwnedFileAsync(LocalPostgresServerResource server, string path, string content, CancellationToken ct)
    {
        await PrivateFile.WriteAsync(path, content, ct);
        if (server.Account.UserName is { } user)
        {
            await LocalProcess.RunAsync("chown", [$"{user}:", path], ct);
        }
    }

    private const string Building = ".building";

    private static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
