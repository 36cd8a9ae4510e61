namespace Platform.Payments.Provider;

/// <summary>
/// The simulated provider's own record of a charge (table <c>provider.charges</c>). A real provider keeps this on its
/// side; here it lives in a schema of its own in paymentsdb, written outside the worker's transactions, so that it
/// outlives a worker that crashes after charging — which is what the idempotency key is for.
/// </summary>
public sealed class ProviderCharge
{
    public const string Approved = "approved";
    public const string Declined = "declined";
    public const string Refunded = "refunded";
    public const string Voided = "voided";

    /// <summary>The client's idempotency key: a second charge with the same key gets the first one's answer.</summary>
    public required string IdempotencyKey { get; set; }

    /// <summary>What the charge is for (the order id), as a provider shows it on statements.</summary>
    public required string Reference { get; set; }

    public decimal Amount { get; set; }

    /// <summary><c>approved</c>, <c>declined</c>, <c>refunded</c> (approved, then cancelled) or <c>voided</c> (cancelled before any charge).</summary>
    public required string Status { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
