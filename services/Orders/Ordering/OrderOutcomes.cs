using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Messaging;
using Platform.Orders.Data;

namespace Platform.Orders.Ordering;

// How the background steps settle an order: one outcome event each, handled once (inbox) in one transaction. Only an
// order that is still processing moves: a terminal state never changes, whatever arrives late or twice.

public sealed class StockRejectedHandler(OrdersDb db, TimeProvider time, ILogger<OrderLog> logger) : IIntegrationEventHandler<StockRejected>
{
    public async Task HandleAsync(StockRejected integrationEvent, CancellationToken cancellationToken)
    {
        if (await db.SettleAsync(integrationEvent.OrderId, OrderStatus.Cancelled, integrationEvent.Reason, [], time, cancellationToken))
        {
            OrderLog.Cancelled(logger, integrationEvent.OrderId, integrationEvent.Reason);
        }
    }
}

public sealed class PaymentSucceededHandler(OrdersDb db, TimeProvider time, ILogger<OrderLog> logger) : IIntegrationEventHandler<PaymentSucceeded>
{
    public async Task HandleAsync(PaymentSucceeded integrationEvent, CancellationToken cancellationToken)
    {
        if (await db.SettleAsync(integrationEvent.OrderId, OrderStatus.Confirmed, null, integrationEvent.Items, time, cancellationToken))
        {
            OrderLog.Confirmed(logger, integrationEvent.OrderId);
        }
    }
}

public sealed class PaymentFailedHandler(OrdersDb db, TimeProvider time, ILogger<OrderLog> logger) : IIntegrationEventHandler<PaymentFailed>
{
    public async Task HandleAsync(PaymentFailed integrationEvent, CancellationToken cancellationToken)
    {
        if (await db.SettleAsync(integrationEvent.OrderId, OrderStatus.Cancelled, integrationEvent.Reason, integrationEvent.Items, time, cancellationToken))
        {
            OrderLog.Cancelled(logger, integrationEvent.OrderId, integrationEvent.Reason);
        }
    }
}

internal static class OrderSettlement
{
    /// <summary>
    /// The outcome, and the catalog prices the stock was reserved at (none when it was not), in one statement; when the order
    /// did move, <see cref="OrderSettled"/> goes into the outbox in the same transaction (the inbox's). True when it moved.
    /// </summary>
    public static async Task<bool> SettleAsync(this OrdersDb db, Guid orderId, OrderStatus outcome, string? reason,
        IReadOnlyList<PricedLineItem> prices, TimeProvider time, CancellationToken cancellationToken)
    {
        var productIds = prices.Select(i => i.ProductId).ToArray();
        var unitPrices = prices.Select(i => i.UnitPrice).ToArray();
        reason = reason?[..Math.Min(reason.Length, MaxReasonLength)];
        var settled = await db.Database.SqlQuery<SettledOrder>($"""
            WITH settled AS (
                UPDATE orders SET status = {outcome.ToString()}, settled_at = {time.GetUtcNow()}, cancel_reason = {reason}
                WHERE id = {orderId} AND status = {OrderStatus.Processing.ToString()}
                RETURNING id, buyer_id),
            priced AS (
                UPDATE order_lines l SET unit_price = p.unit_price
                FROM settled, unnest({productIds}, {unitPrices}) AS p(product_id, unit_price)
                WHERE l.order_id = settled.id AND l.product_id = p.product_id)
            SELECT buyer_id AS "BuyerId" FROM settled
            """).ToListAsync(cancellationToken);
        if (settled is [var order])
        {
            var total = outcome == OrderStatus.Confirmed ? prices.Sum(i => i.Quantity * i.UnitPrice) : (decimal?)null;
            db.AddEvent(new OrderSettled(orderId, order.BuyerId, outcome.ToString().ToLowerInvariant(), reason, total));
            return true;
        }

        return false;
    }

    private const int MaxReasonLength = 500; // the column's

    private sealed record SettledOrder(string BuyerId);
}
