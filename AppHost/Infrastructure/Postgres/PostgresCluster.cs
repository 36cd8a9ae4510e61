using System.Runtime.Versioning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.AppHost.Infrastructure.Postgres;

/// <summary>
/// The on-disk life of a local cluster: initialise the primary, clone replicas from it, create
/// databases. Every step is idempotent, so a restart (or a resource "Start" command) reuses data.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal static class PostgresCluster
{
    public static async Task PreparePrimaryAsync(LocalPostgresServerResource primary, IEnumerable<IResource> resources, CancellationToken ct)
    {
        var root = Path.GetDirectoryName(primary.DataDirectory)!;
        await primary.Account.CreateOwnedDirectoryAsync(root, ct);
        var password = await primary.PasswordParameter.GetValueAsync(ct) ?? "";
        await WriteOwnedFileAsync(primary, primary.PassFile, $"*:*:*:{LocalPostgresServerResource.SuperUser}:{password}\n", ct);

        if (File.Exists(Path.Combine(primary.DataDirectory, "PG_VERSION")))
        {
            return;
        }

        // A fresh cluster: a half-made folder from an interrupted initdb goes, and so do replicas
        // cloned from a previous cluster (they could never stream from this one).
        DeleteDirectory(primary.DataDirectory);
        foreach (var replica in resources.OfType<LocalPostgresServerResource>().Where(r => r.Primary == primary))
        {
            DeleteDirectory(replica.DataDirectory);
        }

        var passwordFile = Path.Combine(root, "initdb-password");
        await WriteOwnedFileAsync(primary, passwordFile, password, ct);
        try
        {
            await primary.Account.RunAsync(primary.Binaries.InitDb,
            [
                "-D", primary.DataDirectory, "-U", LocalPostgresServerResource.SuperUser, $"--pwfile={passwordFile}",
                "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-instructions",
            ], ct);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    public static async Task PrepareReplicaAsync(LocalPostgresServerResource replica, IServiceProvider services, CancellationToken ct)
    {
        var primary = replica.Primary!;
        if (File.Exists(Path.Combine(replica.DataDirectory, "PG_VERSION")))
        {
            return;
        }

        // The base backup needs a running primary; WaitFor's own wait may run after this handler.
        await services.GetRequiredService<ResourceNotificationService>().WaitForResourceHealthyAsync(primary.Name, ct);

        DeleteDirectory(replica.DataDirectory);
        await DropStaleSlotAsync(primary, replica.SlotName, ct);
        var port = await primary.PrimaryEndpoint.Property(EndpointProperty.Port).GetValueAsync(ct);
        await replica.Account.RunAsync(replica.Binaries.BaseBackup,
        [
            "-D", replica.DataDirectory,
            "-d", $"host=127.0.0.1 port={port} user={LocalPostgresServerResource.SuperUser} passfile={primary.PassFile}",
            "-X", "stream", "-C", "-S", replica.SlotName, "-c", "fast", "--no-password",
        ], ct);
        // Connection settings come from the command line at every start (the primary's port can
        // change between runs), so only the standby marker is written here.
        await WriteOwnedFileAsync(replica, Path.Combine(replica.DataDirectory, "standby.signal"), "", ct);
    }

    public static async Task CreateDatabasesAsync(LocalPostgresServerResource server, IServiceProvider services, CancellationToken ct)
    {
        var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
        await using var connection = await OpenAsync(server, ct);
        foreach (var database in server.Databases.Values)
        {
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
            if (await exists.ExecuteScalarAsync(ct) is not null)
            {
                continue;
            }

            await using var create = new NpgsqlCommand($"CREATE DATABASE {new NpgsqlCommandBuilder().QuoteIdentifier(database)}", connection);
            await create.ExecuteNonQueryAsync(ct);
            logger.LogInformation("Created database {Database}", database);
        }
    }

    private static async Task DropStaleSlotAsync(LocalPostgresServerResource primary, string slot, CancellationToken ct)
    {
        await using var connection = await OpenAsync(primary, ct);
        await using var drop = new NpgsqlCommand(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", connection)
        {
            Parameters = { new() { Value = slot } },
        };
        await drop.ExecuteNonQueryAsync(ct);
    }

    private static async Task<NpgsqlConnection> OpenAsync(LocalPostgresServerResource server, CancellationToken ct)
    {
        var connectionString = await server.ConnectionStringExpression.GetValueAsync(ct);
        var connection = new NpgsqlConnection($"{connectionString};Database=postgres;Pooling=false");
        await connection.OpenAsync(ct);
        return connection;
    }

    private static async Task WriteOwnedFileAsync(LocalPostgresServerResource server, string path, string content, CancellationToken ct)
    {
        await Local.PrivateFile.WriteAsync(path, content, ct);
        if (server.Account.UserName is { } user)
        {
            await Local.LocalProcess.RunAsync("chown", [$"{user}:", path], ct);
        }
    }

    private static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
