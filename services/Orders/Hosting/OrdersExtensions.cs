using Platform.Contracts;
using Platform.Data.Sharding;
using Platform.Orders.Data;
using Platform.Orders.Ordering;

namespace Platform.Orders.Hosting;

/// <summary>How the orders service is wired: its database, messaging and API.</summary>
public static class OrdersExtensions
{
    /// <summary>
    /// The orders' shards (<c>Sharding:Shards</c>, else <c>ordersdb</c> alone), customers spread over them by bucket: on
    /// each, commands on the Postgres primary and queries on its read replicas.
    /// </summary>
    public static IHostApplicationBuilder AddOrdersDatabase(this IHostApplicationBuilder builder) =>
        builder.AddShardedDatabase<OrdersDb>(OrderShards.DefaultShard);

    /// <summary>
    /// Publishes <c>OrderPlaced</c>, <c>OrderSettled</c> and <c>OrderExpired</c> from each shard's outbox; consumes the
    /// outcomes (stock rejected, payment succeeded or failed) through the inbox of the order's shard.
    /// </summary>
    public static IHostApplicationBuilder AddOrdersMessaging(this IHostApplicationBuilder builder)
    {
        builder.AddEventBus("eventbus", consumer: "orders")
            .AddInbox((services, @event, ct) => services.GetRequiredService<ShardSession<OrdersDb>>().ForOrderAsync(OrderShards.OrderOf(@event), ct))
            .AddSubscription<StockRejected, StockRejectedHandler>()
            .AddSubscription<PaymentSucceeded, PaymentSucceededHandler>()
            .AddSubscription<PaymentFailed, PaymentFailedHandler>();
        foreach (var shard in builder.ShardNames(OrderShards.DefaultShard))
        {
            builder.AddOutboxRelay(shard);
        }

        return builder;
    }

    /// <summary>The orders' business metrics (<see cref="OrderMetrics"/>): placed, settled, time to settle, the oldest still processing.</summary>
    public static IHostApplicationBuilder AddOrderMetrics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<OrderMetrics>();
        return builder;
    }

    /// <summary>Orders still processing after <c>Orders:SettleDeadline</c> are cancelled (checked every <c>Orders:DeadlineCheckInterval</c>).</summary>
    public static IHostApplicationBuilder AddOrderDeadline(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OrderDeadlineOptions>().BindConfiguration("Orders");
        builder.Services.AddHostedService<OrderDeadline>();
        return builder;
    }

    /// <summary>The orders API: tokens for the <c>orders</c> audience, its scope, validation and OpenAPI document.</summary>
    public static IHostApplicationBuilder AddOrdersApi(this IHostApplicationBuilder builder)
    {
        builder.AddApiDocumentation();
        builder.AddJwtAuthentication("orders");
        builder.Services.AddAuthorizationBuilder()
            .AddScopePolicy(OrdersApi.Scope)
            .AddScopePolicy(OrdersAcrossShards.Scope)
            .AddPolicy(OrdersApi.CustomerPolicy, policy => policy.RequireRole("customer"));
        builder.Services.AddValidation();
        return builder;
    }
}
