using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Data;
using Platform.Data.Sharding;

namespace Microsoft.Extensions.Hosting;

/// <summary>Registers a service database split into shards (<see cref="ShardedDatabase{TContext}"/>).</summary>
public static class ShardedDatabaseExtensions
{
    /// <summary>
    /// The shards' connection names: <c>Sharding:Shards</c> as the AppHost gives them, else <paramref name="defaultShard"/> alone
    /// (one shard: the service's one database, as an unsharded service has it).
    /// </summary>
    public static IReadOnlyList<string> ShardNames(this IHostApplicationBuilder builder, string defaultShard) =>
        builder.Configuration.GetSection(ShardingOptions.SectionName).Get<ShardingOptions>() is { Shards.Count: > 0 } options
            ? options.Shards
            : [defaultShard];

    /// <summary>
    /// Registers, for each shard of <see cref="ShardNames"/> (connection strings <c>{shard}</c> and <c>{shard}-readonly</c>):
    /// both Npgsql data sources, a <see cref="ReplicatedDatabase{TContext}"/> with its position sampler, and pooled
    /// <typeparamref name="TContext"/>s on the primary; then <see cref="ShardedDatabase{TContext}"/>, the scoped
    /// <see cref="ShardSession{TContext}"/>, the map's refresher and one health check for all shards (degraded, not
    /// unready, while some shard is away).
    /// </summary>
    public static IHostApplicationBuilder AddShardedDatabase<TContext>(this IHostApplicationBuilder builder, string defaultShard)
        where TContext : DbContext
    {
        var names = builder.ShardNames(defaultShard);
        foreach (var name in names.SelectMany(name => new[] { name, $"{name}-readonly" }))
        {
            // No check per data source: one shard down must not make the whole service unready (ShardsHealthCheck).
            builder.AddKeyedNpgsqlDataSource(name, settings => settings.DisableHealthChecks = true,
                source => ConnectionSettings.Apply(source, builder, name));
        }

        builder.Services.AddOptions<ShardingOptions>().BindConfiguration(ShardingOptions.SectionName);
        builder.Services.AddOptions<ReplicaReadOptions>().BindConfiguration(ReplicaReadOptions.SectionName);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<ReplicaReadMetrics>();
        builder.Services.AddSingleton(services =>
        {
            ShardedDatabase<TContext>? database = null;
            var notOwned = new NotOwnedInterceptor(() => database?.RequestRefresh());
            var shards = names.Select((name, index) => new Shard<TContext>(index, name,
                services.GetRequiredKeyedService<NpgsqlDataSource>(name),
                () => new ReplicatedDatabase<TContext>(
                    services.GetRequiredKeyedService<NpgsqlDataSource>(name),
                    services.GetRequiredKeyedService<NpgsqlDataSource>($"{name}-readonly"),
                    services,
                    services.GetRequiredService<IOptions<ReplicaReadOptions>>(),
                    services.GetRequiredService<TimeProvider>(),
                    services.GetRequiredService<ReplicaReadMetrics>()),
                new DbContextOptionsBuilder<TContext>()
                    // A few quick retries: a shard that is down answers 503 within seconds, not after EF's default minute.
                    .UseNpgsql(services.GetRequiredKeyedService<NpgsqlDataSource>(name),
                        npgsql => npgsql.EnableRetryOnFailure(3, TimeSpan.FromSeconds(1), null))
                    .AddInterceptors(notOwned)
                    .Options)).ToList();
            database = new ShardedDatabase<TContext>(shards, services.GetRequiredService<TimeProvider>(),
                services.GetRequiredService<ILoggerFactory>().CreateLogger<ShardedDatabase<TContext>>());
            return database;
        });
        builder.Services.AddScoped<ShardSession<TContext>>();
        for (var i = 0; i < names.Count; i++)
        {
            var index = i;
            builder.Services.AddSingleton<IHostedService>(services => new PrimaryPositionSampler<TContext>(
                services.GetRequiredService<ShardedDatabase<TContext>>().Shards[index].Database,
                services.GetRequiredService<IOptions<ReplicaReadOptions>>(),
                services.GetRequiredService<TimeProvider>(),
                services.GetRequiredService<ILogger<PrimaryPositionSampler<TContext>>>()));
        }

        builder.Services.AddHostedService<ShardMapRefresher<TContext>>();
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration("shards",
            services => new ShardsHealthCheck<TContext>(services.GetRequiredService<ShardedDatabase<TContext>>()), failureStatus: null, tags: null));
        return builder;
    }
}
