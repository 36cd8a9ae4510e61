using Microsoft.EntityFrameworkCore;
using Platform.Catalog.Data;
using Platform.Catalog.Stock;
using Platform.Contracts;
using Platform.Messaging;

namespace Platform.Inventory;

/// <summary>
/// Reserves every line of a new order or none — one transaction with the inbox row, the reservation and the outgoing
/// <see cref="StockReserved"/> or <see cref="StockRejected"/>. Popular products are the contended rows, so they are
/// locked last and briefly: the stock is checked and priced without locks, everything else is written, and then one
/// statement locks the products (in id order, so concurrent orders cannot deadlock) and takes the stock only where
/// enough is left, just before the commit.
/// </summary>
public sealed class ReserveStockHandler(CatalogDb db, TimeProvider time, ILogger<StockLog> logger, StockMetrics metrics)
    : IIntegrationEventHandler<OrderPlaced>
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
        var products = await db.Products.Where(p => ids.Contains(p.Id))
            .Select(p => new { p.Id, p.Stock, p.Price })
            .ToDictionaryAsync(p => p.Id, cancellationToken);
        var problems = wanted
            .Select(item => products.TryGetValue(item.Id, out var product)
                ? product.Stock < item.Quantity ? $"product {item.Id}: {product.Stock} in stock, {item.Quantity} ordered" : null
                : $"product {item.Id} does not exist")
            .OfType<string>().ToList();
        if (problems.Count > 0)
        {
            var reason = string.Join("; ", problems);
            db.AddEvent(new StockRejected(orderId, reason));
            StockLog.Rejected(logger, orderId, reason);
            metrics.Rejected();
            return;
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
        await db.SaveChangesAsync(cancellationToken);

        var quantities = wanted.Select(w => w.Quantity).ToArray();
        var taken = await db.Database.ExecuteSqlAsync($"""
            WITH locked AS MATERIALIZED (SELECT id FROM products WHERE id = ANY({ids}) ORDER BY id FOR UPDATE)
            UPDATE products p SET stock = p.stock - w.quantity
            FROM unnest({ids}, {quantities}) AS w(id, quantity)
            WHERE p.id = w.id AND p.stock >= w.quantity AND p.id IN (SELECT id FROM locked)
            """, cancellationToken);
        if (taken < wanted.Length)
        {
            // Another order took the stock since the check: roll back, and the message's retry decides again on what is left.
            throw new DbUpdateConcurrencyException($"Stock of products {string.Join(", ", ids)} changed while order {orderId} was being reserved.");
        }

        StockLog.Reserved(logger, orderId, priced.Sum(i => i.Quantity * i.UnitPrice));
        metrics.Reserved();
    }
}
