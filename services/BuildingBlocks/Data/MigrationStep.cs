using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The migration step: the AppHost runs a service once with the <c>migrate</c> argument, before the
/// service itself starts (<c>WaitForCompletion</c>), instead of every replica migrating on start-up. Where nothing
/// orders them (Kubernetes runs the step as a Job beside the service's pods), the service's image run with
/// <c>wait-for-migrations</c> waits until the database has every migration the image knows, and no more is needed.
/// </summary>
public static class MigrationStep
{
    /// <summary>The command-line argument that turns a service run into its migration step.</summary>
    public const string Argument = "migrate";

    /// <summary>The command-line argument that makes a service run wait until its migration step has run.</summary>
    public const string WaitArgument = "wait-for-migrations";

    /// <summary>How long <see cref="WaitArgument"/> waits before it gives up (and exits with an error).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    /// <summary>Whether this run is the migration step, or waits for it.</summary>
    public static bool IsRequested(string[] args) => args.Contains(Argument, StringComparer.Ordinal) || IsWaitRequested(args);

    /// <summary>Whether this run waits for the migration step (a service that uses another's database waits for that one's).</summary>
    public static bool IsWaitRequested(string[] args) => args.Contains(WaitArgument, StringComparer.Ordinal);

    /// <summary>
    /// Runs the migration step on a plain host (no web server, no token validation): <paramref name="configure"/>
    /// registers the database, then <see cref="MigrateAsync"/> migrates and seeds it.
    /// </summary>
    public static async Task RunAsync<TContext>(string[] args, Action<HostApplicationBuilder> configure,
        Func<TContext, IServiceProvider, CancellationToken, Task>? seed = null)
        where TContext : DbContext
    {
        var builder = Host.CreateApplicationBuilder(args);
        configure(builder);
        using var host = builder.Build();
        if (args.Contains(WaitArgument, StringComparer.Ordinal))
        {
            await host.WaitForMigrationsAsync<TContext>();
            return;
        }

        await host.MigrateAsync(seed);
    }

    /// <summary>
    /// Returns once the database has every migration of <typeparamref name="TContext"/> (or is not reachable yet: then it
    /// tries again); throws after <see cref="Patience"/>.
    /// </summary>
    public static Task WaitForMigrationsAsync<TContext>(this IHost app, CancellationToken cancellationToken = default)
        where TContext : DbContext =>
        app.WaitForMigrationsAsync(async (services, ct) => await services.GetRequiredService<TContext>().Database.GetPendingMigrationsAsync(ct),
            cancellationToken);

    /// <summary>
    /// Returns once <paramref name="pending"/> names no migration (or the database is not reachable yet: then it tries again);
    /// throws after <see cref="Patience"/>.
    /// </summary>
    public static async Task WaitForMigrationsAsync(this IHost app, Func<IServiceProvider, CancellationToken, Task<IEnumerable<string>>> pending,
        CancellationToken cancellationToken = default)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MigrationStep));
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            string waiting;
            try
            {
                await using var scope = app.Services.CreateAsyncScope();
                var migrations = (await pending(scope.ServiceProvider, cancellationToken)).ToList();
                if (migrations.Count == 0)
                {
                    return;
                }

                waiting = string.Join(", ", migrations);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException)
            {
                waiting = $"(database not reachable: {e.Message})";
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The migration step did not run within {Patience}: pending {waiting}");
            }

            logger.LogInformation("Waiting for the migration step: pending {Pending}", waiting);
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        }
    }

    /// <summary>
    /// Applies <typeparamref name="TContext"/>'s EF Core migrations, then runs <paramref name="seed"/> (if any) in the same
    /// scope, and leaves the database open to <see cref="LoginsKey"/>'s roles only.
    /// </summary>
    public static async Task MigrateAsync<TContext>(this IHost app,
        Func<TContext, IServiceProvider, CancellationToken, Task>? seed = null, CancellationToken cancellationToken = default)
        where TContext : DbContext
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        await db.Database.MigrateAsync(cancellationToken);
        if (seed is not null)
        {
            await seed(db, scope.ServiceProvider, cancellationToken);
        }

        await db.RestrictConnectAsync(app.Services.GetRequiredService<IConfiguration>(), cancellationToken);
    }

    /// <summary>Leaves <paramref name="db"/>'s database open to <see cref="LoginsKey"/>'s roles only (if the AppHost names them).</summary>
    public static async Task RestrictConnectAsync(this DbContext db, IConfiguration configuration, CancellationToken cancellationToken)
    {
        if (configuration[LoginsKey] is { Length: > 0 } logins)
        {
            await RestrictConnectAsync(db, logins.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), cancellationToken);
        }
    }

    /// <summary>The roles that may connect to the step's database (<c>;</c>-separated), as the AppHost gives them.</summary>
    public const string LoginsKey = "Database:Logins";

    /// <summary>
    /// Takes from PUBLIC the right to connect to the database that every new database gives it, and gives it to
    /// <paramref name="roles"/>: one service cannot open another's database. Where the AppHost creates the database it has
    /// done so as the superuser already; a cluster's operator (CloudNativePG's <c>Database</c>) leaves it to the owner,
    /// which is the role this step runs as.
    /// </summary>
    private static async Task RestrictConnectAsync(DbContext db, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        var quote = new NpgsqlCommandBuilder();
        var database = quote.QuoteIdentifier(db.Database.GetDbConnection().Database);
        var grantees = string.Join(", ", roles.Select(quote.QuoteIdentifier));
#pragma warning disable EF1002 // identifiers, quoted: they cannot be parameters
        await db.Database.ExecuteSqlRawAsync($"""
            REVOKE ALL ON DATABASE {database} FROM PUBLIC;
            GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {grantees};
            """, cancellationToken);
#pragma warning restore EF1002
    }
}
