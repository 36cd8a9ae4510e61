using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Platform.AppHost.Infrastructure.Postgres;

/// <summary>
/// The login roles of one database: each service connects as its own role, never as the superuser. The
/// owning service's role owns the database (its migrations create the tables); other roles may only
/// connect, and get exactly the table rights the owner's migrations grant them. No other role, and not
/// PUBLIC, may connect at all, so one service cannot open another's database.
/// </summary>
internal static class PostgresLogins
{
    // Replicas and databases get ready at the same time: two sessions changing one role at once would fail
    // ("tuple concurrently updated"), so this process changes roles one statement batch at a time.
    private static readonly SemaphoreSlim OneAtATime = new(1, 1);

    /// <summary>
    /// Creates the roles (or brings them in line with their password parameters) and hands the database, and
    /// anything in it the superuser created, to the owner. Idempotent: runs whenever the database is ready.
    /// <paramref name="databaseConnectionString"/> is the superuser's, to the database itself.
    /// </summary>
    public static async Task ApplyAsync(string databaseConnectionString, string database, string owner,
        IReadOnlyList<(string Role, string Password)> logins, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection($"{databaseConnectionString};Pooling=false");
        await connection.OpenAsync(ct);
        var quote = new NpgsqlCommandBuilder();
        var db = quote.QuoteIdentifier(database);
        // The others first: once the owner can log in the migrations may start, and they grant to the others.
        foreach (var (role, password) in logins.OrderBy(l => l.Role == owner))
        {
            var name = quote.QuoteIdentifier(role);
            await ExecuteAsync(connection, $"""
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {Literal(role)}) THEN CREATE ROLE {name}; END IF;
                END $$;
                ALTER ROLE {name} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD {Literal(password)};
                GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {name};
                """, ct);
        }

        var ownerName = quote.QuoteIdentifier(owner);
        await ExecuteAsync(connection, $"""
            REVOKE ALL ON DATABASE {db} FROM PUBLIC;
            ALTER DATABASE {db} OWNER TO {ownerName};
            """, ct);

        // Tables and functions an earlier superuser connection created (a state folder from before roles).
        await ExecuteAsync(connection, $"""
            DO $$ DECLARE item record; BEGIN
              FOR item IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND c.relowner <> {Literal(owner)}::regrole LOOP
                EXECUTE format('ALTER TABLE %s OWNER TO %I', item.name, {Literal(owner)});
              END LOOP;
              FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                          WHERE n.nspname = 'public' AND p.proowner <> {Literal(owner)}::regrole LOOP
                EXECUTE format('ALTER FUNCTION %s OWNER TO %I', item.name, {Literal(owner)});
              END LOOP;
            END $$;
            """, ct);
    }

    /// <summary>
    /// Creates the replication role (or brings its password in line): it may stream WAL and manage replication slots,
    /// nothing else — replicas never hold the superuser's password. <paramref name="serverConnectionString"/> is the superuser's.
    /// </summary>
    public static async Task EnsureReplicationRoleAsync(string serverConnectionString, string password, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection($"{serverConnectionString};Database=postgres;Pooling=false");
        await connection.OpenAsync(ct);
        var name = new NpgsqlCommandBuilder().QuoteIdentifier(PostgresDefaults.ReplicationUser);
        await ExecuteAsync(connection, $"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {Literal(PostgresDefaults.ReplicationUser)}) THEN CREATE ROLE {name}; END IF;
            END $$;
            ALTER ROLE {name} WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD {Literal(password)};
            """, ct);
    }

    /// <summary>Healthy once <paramref name="login"/> can open its database: the role exists with the current password.</summary>
    public sealed class CanConnect(IResourceWithConnectionString login) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var connectionString = await login.ConnectionStringExpression.GetValueAsync(cancellationToken);
                await using var connection = new NpgsqlConnection($"{connectionString};Pooling=false;Timeout=5");
                await connection.OpenAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy(e.Message, e);
            }
        }
    }

    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await OneAtATime.WaitAsync(ct);
        try
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync(ct);
        }
        finally
        {
            OneAtATime.Release();
        }
    }
}
