using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using Platform.Catalog.Data;
using Platform.Catalog.Products;
using Platform.Contracts;
using StackExchange.Redis;

namespace Platform.Catalog.Hosting;

/// <summary>How the catalog is wired: its database, cache, messaging and API.</summary>
public static class CatalogExtensions
{
    /// <summary><c>catalogdb</c>: commands on the Postgres primary, queries on its read replicas.</summary>
    public static IHostApplicationBuilder AddCatalogDatabase(this IHostApplicationBuilder builder) =>
        builder.AddReplicatedDatabase<CatalogDb>("catalogdb");

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
        builder.Services.AddStackExchangeRedisCache(options => options.InstanceName = "catalog:"); // the keys its Redis user may reach
        builder.Services.AddOptions<CatalogCacheOptions>().BindConfiguration("Catalog:Cache");
        // HybridCache's L1 is the IMemoryCache; it gives each entry its size, so the limit bounds the bytes held.
        builder.Services.AddMemoryCache();
        builder.Services.AddOptions<MemoryCacheOptions>().Configure<IOptions<CatalogCacheOptions>>((memory, cache) => memory.SizeLimit = cache.Value.LocalSizeLimit);
        builder.Services.AddHybridCache();
        builder.Services.AddSingleton<CacheMetrics>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CacheMetrics>()); // listening from the start
        builder.Services.AddSingleton<ProductReads>();
        builder.Services.AddSingleton<CacheInvalidations>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CacheInvalidations>());
        return builder;
    }

    /// <summary>Stock changed by inventory: the cached copies of those products are dropped.</summary>
    public static IHostApplicationBuilder AddCatalogMessaging(this IHostApplicationBuilder builder)
    {
        builder.AddEventBus("eventbus", consumer: "catalog")
            .AddSubscription<StockReserved, StockChanges>()
            .AddSubscription<StockReleased, StockChanges>();
        return builder;
    }

    /// <summary>The products API: tokens for the <c>catalog</c> audience, its scopes, validation and OpenAPI document.</summary>
    public static IHostApplicationBuilder AddCatalogApi(this IHostApplicationBuilder builder)
    {
        builder.AddApiDocumentation();
        builder.AddJwtAuthentication("catalog");
        builder.Services.AddAuthorizationBuilder()
            .AddScopePolicy(ProductsApi.ReadScope)
            .AddScopePolicy(ProductsApi.AdminScope);
        builder.Services.AddValidation();
        return builder;
    }
}
