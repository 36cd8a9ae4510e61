using Microsoft.Extensions.Caching.StackExchangeRedis;
using Platform.Catalog.Products;
using StackExchange.Redis;

namespace Platform.Catalog.Hosting;

public static class CatalogCacheExtensions
{
    /// <summary>
    /// HybridCache for catalog reads: in-process memory (L1) over Redis (L2). Redis is an optimisation,
    /// not a dependency: while it is down, commands fail fast instead of queueing, HybridCache treats
    /// that as a miss, and reads go to the database. So it has no readiness check either.
    /// </summary>
    public static IHostApplicationBuilder AddCatalogCache(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient("redis", settings => settings.DisableHealthChecks = true, options =>
        {
            options.AbortOnConnectFail = false;
            options.BacklogPolicy = BacklogPolicy.FailFast;
        });
        builder.Services.AddOptions<RedisCacheOptions>().Configure<IServiceProvider>((options, services) =>
            options.ConnectionMultiplexerFactory = () => Task.FromResult(services.GetRequiredService<IConnectionMultiplexer>()));
        builder.Services.AddStackExchangeRedisCache(_ => { });
        builder.Services.AddHybridCache();
        builder.Services.AddOptions<CatalogCacheOptions>().BindConfiguration("Catalog:Cache");
        builder.Services.AddSingleton<ProductReads>();
        builder.Services.AddSingleton<CacheInvalidations>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CacheInvalidations>());
        return builder;
    }
}
