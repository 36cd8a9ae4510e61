using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Data;

namespace Microsoft.Extensions.Hosting;

/// <summary>Registers a service database that writes to the Postgres primary and reads from its replicas.</summary>
public static class ReplicatedDatabaseExtensions
{
    /// <summary>
    /// Registers, for the AppHost's connection strings <paramref name="connectionName"/> (primary) and
    /// <c>{connectionName}-readonly</c> (replicas, then the primary):
    /// <list type="bullet">
    /// <item>a pooled <typeparamref name="TContext"/> on the primary, for commands;</item>
    /// <item><see cref="ReplicatedDatabase{TContext}"/>, for queries on the replicas with read-your-writes;</item>
    /// <item>both Npgsql data sources with Aspire's health checks, traces and metrics, and <see cref="ConnectionSettings"/>.</item>
    /// </list>
    /// </summary>
    public static IHostApplicationBuilder AddReplicatedDatabase<TContext>(this IHostApplicationBuilder builder, string connectionName,
        Action<DbContextOptionsBuilder>? configureDbContext = null)
        where TContext : DbContext
    {
        var readOnlyName = $"{connectionName}-readonly";
        builder.AddKeyedNpgsqlDataSource(connectionName, configureDataSourceBuilder: source => ConnectionSettings.Apply(source, builder, connectionName));
        // With every replica down the readonly string still reaches the primary, so its check is the primary's too.
        builder.AddKeyedNpgsqlDataSource(readOnlyName, configureDataSourceBuilder: source => ConnectionSettings.Apply(source, builder, readOnlyName));

        builder.Services.AddDbContextPool<TContext>((services, options) =>
        {
            options.UseNpgsql(services.GetRequiredKeyedService<NpgsqlDataSource>(connectionName));
            configureDbContext?.Invoke(options);
        });
        builder.EnrichNpgsqlDbContext<TContext>(settings => settings.DisableHealthChecks = true); // the data source has one

        builder.Services.AddOptions<ReplicaReadOptions>().BindConfiguration(ReplicaReadOptions.SectionName);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(services => new ReplicatedDatabase<TContext>(
            services.GetRequiredKeyedService<NpgsqlDataSource>(connectionName),
            services.GetRequiredKeyedService<NpgsqlDataSource>(readOnlyName),
            services,
            services.GetRequiredService<IOptions<ReplicaReadOptions>>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ReplicaReadMetrics>()));
        builder.Services.TryAddSingleton<ReplicaReadMetrics>();
        builder.Services.AddHostedService<PrimaryPositionSampler<TContext>>();
        return builder;
    }
}
