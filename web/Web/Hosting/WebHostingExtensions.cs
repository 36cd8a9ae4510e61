using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Platform.Contracts;
using Platform.Web.Api;
using Platform.Web.Cart;
using Platform.Web.Orders;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>The web app's wiring: Data Protection keys, the gateway's APIs, carts and live order updates.</summary>
public static class WebHostingExtensions
{
    /// <summary>One key ring in Redis for every instance: a cookie or form token issued by one instance works on the others.</summary>
    public static IHostApplicationBuilder AddSharedDataProtection(this IHostApplicationBuilder builder)
    {
        builder.Services.AddDataProtection().SetApplicationName("platform-web");
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IConnectionMultiplexer>((options, redis) =>
            options.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), "web:data-protection-keys"));
        return builder;
    }

    /// <summary>The catalog and orders APIs, only ever through the gateway (service discovery name <c>gateway</c>).</summary>
    public static IHostApplicationBuilder AddGatewayApis(this IHostApplicationBuilder builder)
    {
        // A person is waiting: one quick retry of reads, then the page says what is wrong. Writes are not repeated
        // here (an order repeats with the same Idempotency-Key when the user tries again).
#pragma warning disable EXTEXP0001 // experimental, but the supported way to replace the defaults' handler for one client
        builder.Services.AddHttpClient<GatewayApi>(http => http.BaseAddress = new Uri("https+http://gateway"))
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(options =>
            {
                options.Retry.MaxRetryAttempts = 1;
                options.Retry.Delay = TimeSpan.FromMilliseconds(200);
                options.Retry.DisableForUnsafeHttpMethods();
                options.AttemptTimeout.Timeout = TimeSpan.FromSeconds(10);
                options.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(20);
                options.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(20);
            });
#pragma warning restore EXTEXP0001
        builder.Services.AddScoped<ReadYourWrites>();
        builder.Services.AddScoped<CatalogClient>();
        builder.Services.AddScoped<OrdersClient>();
        builder.Services.AddSingleton<CartStore>();
        return builder;
    }

    /// <summary><see cref="OrderSettled"/> from the bus on a queue of this instance's own, to the pages of that order's buyer.</summary>
    public static IHostApplicationBuilder AddOrderUpdates(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<OrderUpdates>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddEventBus("eventbus", consumer: "web").EachInstance()
            .AddSubscription<OrderSettled, OrderSettledHandler>();
        return builder;
    }
}
