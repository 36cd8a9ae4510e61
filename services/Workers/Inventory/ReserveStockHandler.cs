using Microsoft.EntityFrameworkCore;
using Platform.Catalog.Data;
using Platform.Catalog.Stock;
using Platform.Contracts;
using Platform.Messaging;

namespace Platform.Inventory;

/// <summary>
/// Reserves every line of a new order or none: the products are locked (in id order, so concurrent orders
/// cannot deadlock), checked, decremented, and the reservation recorded — one transaction with the inbox
/// row and the outgoing <see cref="StockReserved"/> or <see cref="StockRejected"/>.
/// </summary>
public sealed class ReserveStockHandler(CatalogDb db, TimeProvider time) : IIntegrationEventHandler<OrderPlaced>
{
    public async Task HandleAsync(OrderPlaced integrationEvent, CancellationToken cancellationToken)
    {
        var orderId = integrationEvent.OrderId;
        if (await db.StockReservations.AnyAsync(r => r.OrderId == orderId, cancellationToken))
        {
            return; // reserved already
        }

        // A product may appear on several lines: what counts is its total.
        var wanted = integrationEvent.Items.GroupBy(i => i.ProductId)
            .Select(g => (Id: g.Key, Quantity: g.Sum(i => i.Quantity))).OrderBy(w => w.Id).ToArray();
        var ids = wanted.Select(w => w.Id).ToArray();
        // LINQ has no FOR UPDATE: the lock is the one statement written out (xmin is the row version EF checks on save).
        var products = await db.Products
            .FromSql($"SELECT *, xmin FROM products WHERE id = ANY({ids}) ORDER BY id FOR UPDATE")
            .ToDictionaryAsync(p => p.Id, cancellationToken);
        var problems = wanted
            .Select(item => products.TryGetValue(item.Id, out var product)
                ? product.Stock < item.Quantity ? $"product {item.Id}: {product.Stock} in stock, {item.Quantity} ordered" : null
                : $"product {item.Id} does not exist")
            .OfType<string>().ToList();
        if (problems.Count > 0)
        {
            db.AddEvent(new StockRejected(orderId, string.Join("; ", problems)));
            return;
        }

        // Saved with the inbox row, while the rows are still locked.
        foreach (var (id, quantity) in wanted)
        {
            products[id].Stock -= quantity;
        }

        db.StockReservations.Add(new StockReservation
        {
            OrderId = orderId,
            Status = StockReservation.Reserved,
            CreatedAt = time.GetUtcNow(),
            Lines = [.. wanted.Select(w => new StockReservationLine { OrderId = orderId, ProductId = w.Id, Quantity = w.Quantity })],
        });

        var priced = integrationEvent.Items.Select(i => new PricedLineItem(i.ProductId, i.Quantity, products[i.ProductId].Price)).ToList();
        db.AddEvent(new StockReserved(orderId, priced, priced.Sum(i => i.Quantity * i.UnitPrice)));
    }
}
