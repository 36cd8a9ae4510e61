using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Messaging;

namespace Platform.Inventory;

/// <summary>
/// Reserves every line of a new order or none: the products are locked (in id order, so concurrent orders
/// cannot deadlock), checked, decremented, and the reservation recorded — one transaction with the inbox
/// row and the outgoing <see cref="StockReserved"/> or <see cref="StockRejected"/>.
/// </summary>
public sealed class OrderPlacedHandler(InventoryDb db, TimeProvider time) : IIntegrationEventHandler<OrderPlaced>
{
    public async Task HandleAsync(OrderPlaced integrationEvent, CancellationToken cancellationToken)
    {
        var orderId = integrationEvent.OrderId;
        if (await db.Database.SqlQuery<int>($"SELECT 1 AS \"Value\" FROM stock_reservations WHERE order_id = {orderId}").AnyAsync(cancellationToken))
        {
            return; // reserved already
        }

        // A product may appear on several lines: what counts is its total.
        var wanted = integrationEvent.Items.GroupBy(i => i.ProductId)
            .Select(g => (Id: g.Key, Quantity: g.Sum(i => i.Quantity))).OrderBy(w => w.Id).ToArray();
        var ids = wanted.Select(w => w.Id).ToArray();
        var quantities = wanted.Select(w => w.Quantity).ToArray();
        var products = (await db.Database.SqlQuery<ProductStock>(
                $"SELECT id AS \"Id\", stock AS \"Stock\", price AS \"Price\" FROM products WHERE id = ANY({ids}) ORDER BY id FOR UPDATE")
            .ToListAsync(cancellationToken)).ToDictionary(p => p.Id);
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

        // One round trip while the rows are locked: the reservation, its lines and the stock.
        await db.Database.ExecuteSqlAsync($"""
            WITH wanted AS (SELECT * FROM unnest({ids}, {quantities}) AS w(product_id, quantity)),
                 reservation AS (INSERT INTO stock_reservations (order_id, status, created_at) VALUES ({orderId}, 'reserved', {time.GetUtcNow()})),
                 lines AS (INSERT INTO stock_reservation_lines (order_id, product_id, quantity) SELECT {orderId}, product_id, quantity FROM wanted)
            UPDATE products p SET stock = p.stock - w.quantity FROM wanted w WHERE p.id = w.product_id
            """, cancellationToken);

        var priced = integrationEvent.Items.Select(i => new PricedLineItem(i.ProductId, i.Quantity, products[i.ProductId].Price)).ToList();
        db.AddEvent(new StockReserved(orderId, priced, priced.Sum(i => i.Quantity * i.UnitPrice)));
    }

    private sealed record ProductStock(int Id, int Stock, decimal Price);
}

/// <summary>Gives a failed order's stock back, once: only a reservation still <c>reserved</c> is released (→ <see cref="StockReleased"/>).</summary>
public sealed class PaymentFailedHandler(InventoryDb db) : IIntegrationEventHandler<PaymentFailed>
{
    public async Task HandleAsync(PaymentFailed integrationEvent, CancellationToken cancellationToken)
    {
        var orderId = integrationEvent.OrderId;
        var released = await db.Database.ExecuteSqlAsync(
            $"UPDATE stock_reservations SET status = 'released' WHERE order_id = {orderId} AND status = 'reserved'", cancellationToken);
        if (released == 1)
        {
            await db.Database.ExecuteSqlAsync($"""
                UPDATE products p SET stock = p.stock + l.quantity
                FROM stock_reservation_lines l WHERE l.order_id = {orderId} AND p.id = l.product_id
                """, cancellationToken);
            var lines = await db.Database.SqlQuery<OrderLineItem>(
                    $"SELECT product_id AS \"ProductId\", quantity AS \"Quantity\" FROM stock_reservation_lines WHERE order_id = {orderId}")
                .ToListAsync(cancellationToken);
            db.AddEvent(new StockReleased(orderId, lines));
        }
    }
}
