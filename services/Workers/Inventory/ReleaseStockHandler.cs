using Microsoft.EntityFrameworkCore;
using Platform.Catalog.Data;
using Platform.Catalog.Stock;
using Platform.Contracts;
using Platform.Messaging;

namespace Platform.Inventory;

/// <summary>Gives a failed order's stock back, once: only a reservation still <c>reserved</c> is released (→ <see cref="StockReleased"/>).</summary>
public sealed class ReleaseStockHandler(CatalogDb db) : IIntegrationEventHandler<PaymentFailed>
{
    public async Task HandleAsync(PaymentFailed integrationEvent, CancellationToken cancellationToken)
    {
        var orderId = integrationEvent.OrderId;
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
        }
    }
}
