namespace Platform.Inventory;

/// <summary>One log event per change of an order's reservation, the order id a field of each.</summary>
public sealed partial class StockLog
{
    [LoggerMessage(LogLevel.Information, "Stock reserved for order {OrderId}: {Total} at catalog prices")]
    public static partial void Reserved(ILogger logger, Guid orderId, decimal total);

    [LoggerMessage(LogLevel.Information, "Stock rejected for order {OrderId}: {Reason}")]
    public static partial void Rejected(ILogger logger, Guid orderId, string reason);

    [LoggerMessage(LogLevel.Information, "Stock released for order {OrderId}")]
    public static partial void Released(ILogger logger, Guid orderId);
}
