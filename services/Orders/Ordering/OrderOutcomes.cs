using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Messaging;
using Platform.Orders.Data;

namespace Platform.Orders.Ordering;

// How the background steps settle an order. Each runs once per event (inbox) in one transaction, and only
// moves an order that is still processing: a terminal state never changes, whatever arrives late or twice.

/// <summary>Stock reserved: the order's lines get the catalog's prices; payment comes next.</summary>
public sealed class StockReservedHandler(OrdersDb db) : IIntegrationEventHandler<StockReserved>
{
    public async Task HandleAsync(StockReserved integrationEvent, CancellationToken cancellationToken)
    {
        foreach (var item in integrationEvent.Items)
        {
            await db.Set<OrderLine>()
                .Where(l => l.OrderId == integrationEvent.OrderId && l.ProductId == item.ProductId)
                .ExecuteUpdateAsync(set => set.SetProperty(l => l.UnitPrice, item.UnitPrice), cancellationToken);
        }
    }
}

public sealed class StockRejectedHandler(OrdersDb db, TimeProvider time) : IIntegrationEventHandler<StockRejected>
{
    public Task HandleAsync(StockRejected integrationEvent, CancellationToken cancellationToken) =>
        db.SettleAsync(integrationEvent.OrderId, OrderStatus.Cancelled, time, cancellationToken);
}

public sealed class PaymentSucceededHandler(OrdersDb db, TimeProvider time) : IIntegrationEventHandler<PaymentSucceeded>
{
    public Task HandleAsync(PaymentSucceeded integrationEvent, CancellationToken cancellationToken) =>
        db.SettleAsync(integrationEvent.OrderId, OrderStatus.Confirmed, time, cancellationToken);
}

public sealed class PaymentFailedHandler(OrdersDb db, TimeProvider time) : IIntegrationEventHandler<PaymentFailed>
{
    public Task HandleAsync(PaymentFailed integrationEvent, CancellationToken cancellationToken) =>
        db.SettleAsync(integrationEvent.OrderId, OrderStatus.Cancelled, time, cancellationToken);
}

internal static class OrderSettlement
{
    public static Task<int> SettleAsync(this OrdersDb db, Guid orderId, OrderStatus outcome, TimeProvider time, CancellationToken cancellationToken) =>
        db.Orders.Where(o => o.Id == orderId && o.Status == OrderStatus.Processing)
            .ExecuteUpdateAsync(set => set.SetProperty(o => o.Status, outcome).SetProperty(o => o.SettledAt, time.GetUtcNow()), cancellationToken);
}

public static class OrderMessagingExtensions
{
    /// <summary>Publishes <c>OrderPlaced</c> from the outbox and consumes the outcomes of stock and payment.</summary>
    public static IHostApplicationBuilder AddOrderMessaging(this IHostApplicationBuilder builder)
    {
        builder.AddEventBus("eventbus", consumer: "orders")
            .AddInbox<OrdersDb>()
            .AddSubscription<StockReserved, StockReservedHandler>()
            .AddSubscription<StockRejected, StockRejectedHandler>()
            .AddSubscription<PaymentSucceeded, PaymentSucceededHandler>()
            .AddSubscription<PaymentFailed, PaymentFailedHandler>();
        return builder.AddOutboxRelay("ordersdb");
    }
}
