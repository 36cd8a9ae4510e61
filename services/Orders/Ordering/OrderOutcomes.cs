using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Data.Sharding;
using Platform.Messaging;
using Platform.Orders.Data;

namespace Platform.Orders.Ordering;

// How the background steps settle an order: one outcome event each, handled once (inbox) in one transaction on the order's
// shard (the inbox and the handler get the same context from the session). Only an order that is still processing moves:
// a terminal state never changes, whatever arrives late or twice.

public sealed class StockRejectedHandler(ShardSession<OrdersDb> shards, TimeProvider time, ILogger<OrderLog> logger, OrderMetrics metrics)
    : IIntegrationEventHandler<StockRejected>
{
    public async Task HandleAsync(StockRejected integrationEvent, CancellationToken cancellationToken)
    {
        var db = await shards.ForOrderAsync(integrationEvent.OrderId, cancellationToken);
        if (await db.SettleAsync(integrationEvent.OrderId, OrderStatus.Cancelled, integrationEvent.Reason, [], time, cancellationToken) is { } waited)
        {
            OrderLog.Cancelled(logger, integrationEvent.OrderId, integrationEvent.Reason);
            metrics.Cancelled(OrderMetrics.Reasons.OutOfStock, waited);
        }
    }
}

public sealed class PaymentSucceededHandler(ShardSession<OrdersDb> shards, TimeProvider time, ILogger<OrderLog> logger, OrderMetrics metrics)
    : IIntegrationEventHandler<PaymentSucceeded>
{
    public async Task HandleAsync(PaymentSucceeded integrationEvent, CancellationToken cancellationToken)
    {
        var db = await shards.ForOrderAsync(integrationEvent.OrderId, cancellationToken);
        if (await db.SettleAsync(integrationEvent.OrderId, OrderStatus.Confirmed, null, integrationEvent.Items, time, cancellationToken) is { } waited)
        {
            OrderLog.Confirmed(logger, integrationEvent.OrderId);
            metrics.Confirmed(waited);
        }
    }
}

public sealed class PaymentFailedHandler(ShardSession<OrdersDb> shards, TimeProvider time, ILogger<OrderLog> logger, OrderMetrics metrics)
    : IIntegrationEventHandler<PaymentFailed>
{
    public async Task HandleAsync(PaymentFailed integrationEvent, CancellationToken cancellationToken)
    {
        var db = await shards.ForOrderAsync(integrationEvent.OrderId, cancellationToken);
        if (await db.SettleAsync(integrationEvent.OrderId, OrderStatus.Cancelled, integrationEvent.Reason, integrationEvent.Items, time, cancellationToken) is { } waited)
        {
            OrderLog.Cancelled(logger, integrationEvent.OrderId, integrationEvent.Reason);
            metrics.Cancelled(OrderMetrics.Reasons.PaymentDeclined, waited);
        }
    }
}

internal static class OrderSettlement
{
    /// <summary>
    /// The outcome, and the catalog prices the stock was reserved at (none when it was not), in one statement; when the order
    /// did move, <see cref="OrderSettled"/> goes into the outbox in the same transaction (the inbox's). Returns how long the
    /// order had been processing, or null when it did not move.
    /// </summary>
    public static async Task<TimeSpan?> SettleAsync(this OrdersDb db, Guid orderId, OrderStatus outcome, string? reason,
        IReadOnlyList<PricedLineItem> prices, TimeProvider time, CancellationToken cancellationToken)
    {
        var productIds = prices.Select(i => i.ProductId).ToArray();
        var unitPrices = prices.Select(i => i.UnitPrice).ToArray();
        reason = reason?[..Math.Min(reason.Length, MaxReasonLength)];
        var now = time.GetUtcNow();
        // On a shard that no longer owns the order's bucket (this process's map is out of date) an order that is not there
        // must not pass for one settled before: the check raises, and the message is handled again on the right shard.
        await db.Database.ExecuteSqlAsync($"SELECT shard_bucket_check({(short)Buckets.Of(orderId)})", cancellationToken);
        var settled = await db.Database.SqlQuery<SettledOrder>($"""
            WITH settled AS (
                UPDATE orders SET status = {outcome.ToString()}, settled_at = {now}, cancel_reason = {reason}
                WHERE id = {orderId} AND status = {OrderStatus.Processing.ToString()}
                RETURNING id, buyer_id, created_at),
            priced AS (
                UPDATE order_lines l SET unit_price = p.unit_price
                FROM settled, unnest({productIds}, {unitPrices}) AS p(product_id, unit_price)
                WHERE l.order_id = settled.id AND l.product_id = p.product_id)
            SELECT buyer_id AS "BuyerId", created_at AS "CreatedAt" FROM settled
            """).ToListAsync(cancellationToken);
        if (settled is [var order])
        {
            var total = outcome == OrderStatus.Confirmed ? prices.Sum(i => i.Quantity * i.UnitPrice) : (decimal?)null;
            db.AddEvent(new OrderSettled(orderId, order.BuyerId, outcome.ToString().ToLowerInvariant(), reason, total));
            return now - order.CreatedAt;
        }

        return null;
    }

    private const int MaxReasonLength = 500; // the column's

    private sealed record SettledOrder(string BuyerId, DateTimeOffset CreatedAt);
}
