namespace Platform.Payments.Data;

/// <summary>
/// The payment of an order: at most one per order (the primary key). Recorded as <c>pending</c> before the provider is
/// asked, so a payment whose outcome was lost in a crash is visible, and settled with the outcome in the inbox transaction.
/// </summary>
public sealed class Payment
{
    public const string Pending = "pending";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Refunded = "refunded";
    public const string Voided = "voided";

    public Guid OrderId { get; set; }

    public decimal Amount { get; set; }

    /// <summary>
    /// <c>pending</c>, <c>succeeded</c> or <c>failed</c>; <c>refunded</c> or <c>voided</c> when the order expired (after a
    /// charge, or before any).
    /// </summary>
    public required string Status { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
