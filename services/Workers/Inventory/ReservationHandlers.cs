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

        var ids = integrationEvent.Items.Select(i => i.ProductId).Order().ToArray();
        var products = (await db.Database.SqlQuery<ProductStock>(
                $"SELECT id AS \"Id\", stock AS \"Stock\", price AS \"Price\" FROM products WHERE id = ANY({ids}) ORDER BY id FOR UPDATE")
            .ToListAsync(cancellationToken)).ToDictionary(p => p.Id);
        var problems = integrationEvent.Items
            .Select(item => products.TryGetValue(item.ProductId, out var product)
                ? product.Stock < item.Quantity ? $"product {item.ProductId}: {product.Stock} in stock, {item.Quantity} ordered" : null
                : $"product {item.ProductId} does not exist")
            .OfType<string>().ToList();
        if (problems.Count > 0)
        {
            db.AddEvent(new StockRejected(orderId, string.Join("; ", problems)));
            return;
        }

        await db.Database.ExecuteSqlAsync(
            $"INSERT INTO stock_reservations (order_id, status, created_at) VALUES ({orderId}, 'reserved', {time.GetUtcNow()})", cancellationToken);
        foreach (var item in integrationEvent.Items)
        {
            await db.Database.ExecuteSqlAsync($"UPDATE products SET stock = stock - {item.Quantity} WHERE id = {item.ProductId}", cancellationToken);
            await db.Database.ExecuteSqlAsync(
                $"INSERT INTO stock_reservation_lines (order_id, product_id, quantity) VALUES ({orderId}, {item.ProductId}, {item.Quantity})",
                cancellationToken);
        }

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
