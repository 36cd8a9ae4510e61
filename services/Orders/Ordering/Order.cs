namespace Platform.Orders.Ordering;

/// <summary>A customer's order. Placed as <see cref="OrderStatus.Processing"/>; stock and payment settle it in the background.</summary>
public sealed class Order
{
    /// <summary>Carries <see cref="Bucket"/> (<see cref="Platform.Data.Sharding.Buckets.NewId"/>): events about the order find its shard without a lookup.</summary>
    public Guid Id { get; set; }

    /// <summary>The customer's bucket, which decides the shard the order is on (all of a customer's orders are on one).</summary>
    public short Bucket { get; set; }

    /// <summary>The <c>sub</c> of the customer who placed it: only they can see it.</summary>
    public required string BuyerId { get; set; }

    public OrderStatus Status { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When it became confirmed or cancelled.</summary>
    public DateTimeOffset? SettledAt { get; set; }

    /// <summary>Why it was cancelled (out of stock, payment declined), for the customer.</summary>
    public string? CancelReason { get; set; }

    /// <summary>The client's <c>Idempotency-Key</c>: a retried POST with the same key returns this order.</summary>
    public string? IdempotencyKey { get; set; }

    /// <summary>A hash of the request body, so that a key reused for a different order is refused.</summary>
    public string? RequestHash { get; set; }

    public List<OrderLine> Lines { get; set; } = [];
}

/// <summary>One product in an order. The unit price is fixed from the catalog when stock is reserved, never taken from the client.</summary>
public sealed class OrderLine
{
    public Guid OrderId { get; set; }

    public int ProductId { get; set; }

    public int Quantity { get; set; }

    public decimal? UnitPrice { get; set; }
}

public enum OrderStatus
{
    Processing,
    Confirmed,
    Cancelled,
}
