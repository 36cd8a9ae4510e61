using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The migration step: the AppHost runs a service once with the <c>migrate</c> argument, before the
/// service itself starts (<c>WaitForCompletion</c>), instead of every replica migrating on start-up.
/// </summary>
public static class MigrationStep
{
    /// <summary>The command-line argument that turns a service run into its migration step.</summary>
    public const string Argument = "migrate";

    /// <summary>Whether this run is the migration step.</summary>
    public static bool IsRequested(string[] args) => args.Contains(Argument, StringComparer.Ordinal);

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
        await host.MigrateAsync(seed);
    }

    /// <summary>Applies <typeparamref name="TContext"/>'s EF Core migrations, then runs <paramref name="seed"/> (if any) in the same scope.</summary>
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
    }
}
