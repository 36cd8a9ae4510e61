namespace Platform.Catalog.Inventory;

/// <summary>
/// Stock set aside for one order by the inventory worker (which writes these rows; the catalog owns the
/// schema). Released when the payment fails, so the stock comes back.
/// </summary>
public sealed class StockReservation
{
    public Guid OrderId { get; set; }

    /// <summary><c>reserved</c> or <c>released</c>.</summary>
    public required string Status { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public List<StockReservationLine> Lines { get; set; } = [];
}

public sealed class StockReservationLine
{
    public Guid OrderId { get; set; }

    public int ProductId { get; set; }

    public int Quantity { get; set; }
}
