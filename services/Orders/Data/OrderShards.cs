using Platform.Contracts;
using Platform.Data.Sharding;
using Platform.Messaging;

namespace Platform.Orders.Data;

/// <summary>
/// Where an order lives: on the shard that owns its customer's bucket. A request finds it by the customer (all of a
/// customer's orders are on one shard), an event by the order id, which carries the bucket.
/// </summary>
public static class OrderShards
{
    /// <summary>The shards' connection names when the AppHost gives none (<c>Sharding:Shards</c>): the one database.</summary>
    public const string DefaultShard = "ordersdb";

    /// <summary>How long a request waits for its bucket while a move fences it (tens of milliseconds) before it answers 503.</summary>
    public static readonly TimeSpan FenceWait = TimeSpan.FromSeconds(1);

    /// <summary>How long a message about an order waits for its bucket while it is being moved, before it is retried later.</summary>
    public static readonly TimeSpan MoveWait = TimeSpan.FromSeconds(10);

    /// <summary>The context on the shard of <paramref name="orderId"/>: the same one for the inbox and the handler of a message.</summary>
    public static ValueTask<OrdersDb> ForOrderAsync(this ShardSession<OrdersDb> session, Guid orderId, CancellationToken cancellationToken) =>
        session.WriteAsync(Buckets.Of(orderId), MoveWait, cancellationToken);

    /// <summary>The order an outcome event settles.</summary>
    public static Guid OrderOf(IntegrationEvent @event) => @event switch
    {
        StockRejected rejected => rejected.OrderId,
        PaymentSucceeded succeeded => succeeded.OrderId,
        PaymentFailed failed => failed.OrderId,
        _ => throw new PoisonMessageException($"{@event.GetType().Name} is not about an order."),
    };
}
