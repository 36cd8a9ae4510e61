using Microsoft.EntityFrameworkCore;
using Platform.Catalog.Data;
using Platform.Catalog.Stock;
using Platform.Contracts;
using Platform.Messaging;

namespace Platform.Inventory;

/// <summary>
/// Gives a failed or expired order's stock back, once: only a reservation still <c>reserved</c> is released
/// (→ <see cref="StockReleased"/>). An order that expired before any reservation gets a released one without lines, so
/// that its <see cref="OrderPlaced"/>, should it come later (redriven from the dead-letter queue), reserves nothing.
/// </summary>
public sealed class ReleaseStockHandler(CatalogDb db, ILogger<StockLog> logger, StockMetrics metrics)
    : IIntegrationEventHandler<PaymentFailed>, IIntegrationEventHandler<OrderExpired>
{
    public Task HandleAsync(PaymentFailed integrationEvent, CancellationToken cancellationToken) =>
        ReleaseAsync(integrationEvent.OrderId, cancellationToken);

    public async Task HandleAsync(OrderExpired integrationEvent, CancellationToken cancellationToken)
    {
        var closed = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO stock_reservations (order_id, status, created_at) VALUES ({integrationEvent.OrderId}, {StockReservation.Released}, now())
            ON CONFLICT DO NOTHING
            """, cancellationToken);
        if (closed == 0)
        {
            await ReleaseAsync(integrationEvent.OrderId, cancellationToken);
        }
    }

    private async Task ReleaseAsync(Guid orderId, CancellationToken cancellationToken)
    {
        // One statement decides: of concurrent deliveries, exactly one sees the reservation move.
        var released = await db.StockReservations
            .Where(r => r.OrderId == orderId && r.Status == StockReservation.Reserved)
            .ExecuteUpdateAsync(r => r.SetProperty(x => x.Status, StockReservation.Released), cancellationToken);
        if (released == 1)
        {
            var reserved = db.StockReservationLines.Where(l => l.OrderId == orderId);
            await db.Products.Where(p => reserved.Any(l => l.ProductId == p.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.Stock, p => p.Stock + reserved.Where(l => l.ProductId == p.Id).Sum(l => l.Quantity)),
                    cancellationToken);
            var lines = await reserved.Select(l => new OrderLineItem(l.ProductId, l.Quantity)).ToListAsync(cancellationToken);
            db.AddEvent(new StockReleased(orderId, lines));
            StockLog.Released(logger, orderId);
            metrics.Released();
        }
    }
}
