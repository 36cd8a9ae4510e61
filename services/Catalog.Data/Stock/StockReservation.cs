namespace Platform.Catalog.Stock;

/// <summary>
/// Stock set aside for one order by the inventory worker. Released when the payment fails, so the stock comes back.
/// </summary>
public sealed class StockReservation
{
    public const string Reserved = "reserved";
    public const string Released = "released";

    public Guid OrderId { get; set; }

    /// <summary><c>reserved</c> or <c>released</c>.</summary>
    public required string Status { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public List<StockReservationLine> Lines { get; set; } = [];
}

/// <summary>One product of a reservation (an order's lines, one per product).</summary>
public sealed class StockReservationLine
{
    public Guid OrderId { get; set; }

    public int ProductId { get; set; }

    public int Quantity { get; set; }
}
