namespace Platform.AppHost.Tests.Services;

/// <summary>What the payments worker and its simulated provider recorded for an order.</summary>
internal static class Payments
{
    /// <summary>Charges the provider made for the order, by its own records (a void is not a charge).</summary>
    public static Task<long> ChargesAsync(DistributedApplication app, Guid orderId) => Databases.ScalarAsync<long>(app, "paymentsdb",
        "SELECT count(*) FROM provider.charges WHERE reference = $1 AND status <> 'voided'", orderId.ToString());

    /// <summary>The order's payment status, or null when there is no payment.</summary>
    public static Task<string?> StatusAsync(DistributedApplication app, Guid orderId) =>
        Databases.ScalarAsync<string?>(app, "paymentsdb", "SELECT status FROM payments WHERE order_id = $1", orderId);
}
