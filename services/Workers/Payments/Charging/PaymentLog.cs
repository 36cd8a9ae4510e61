namespace Platform.Payments.Charging;

/// <summary>One log event per outcome of an order's charge, the order id a field of each.</summary>
public sealed partial class PaymentLog
{
    [LoggerMessage(LogLevel.Information, "Payment for order {OrderId} charged: {Amount}")]
    public static partial void Charged(ILogger logger, Guid orderId, decimal amount);

    [LoggerMessage(LogLevel.Information, "Payment for order {OrderId} declined")]
    public static partial void Declined(ILogger logger, Guid orderId);
}
