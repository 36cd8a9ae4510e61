namespace Platform.Payments.Data;

/// <summary>A charge attempt for an order: at most one per order (the primary key), so an order is never charged twice.</summary>
public sealed class Payment
{
    public Guid OrderId { get; set; }

    public decimal Amount { get; set; }

    /// <summary><c>succeeded</c> or <c>failed</c>.</summary>
    public required string Status { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
