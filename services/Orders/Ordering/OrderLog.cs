namespace Platform.Orders.Ordering;

/// <summary>
/// One log event per change of an order's state, the order id a field of each (as every log event, it carries the trace
/// and span ids of the request or message that caused it). Expiry is <see cref="OrderDeadline"/>'s.
/// </summary>
public sealed partial class OrderLog
{
    [LoggerMessage(LogLevel.Information, "Order {OrderId} placed: {Quantity} items")]
    public static partial void Placed(ILogger logger, Guid orderId, int quantity);

    [LoggerMessage(LogLevel.Information, "Order {OrderId} settled: confirmed")]
    public static partial void Confirmed(ILogger logger, Guid orderId);

    [LoggerMessage(LogLevel.Information, "Order {OrderId} settled: cancelled ({Reason})")]
    public static partial void Cancelled(ILogger logger, Guid orderId, string reason);

    [LoggerMessage(LogLevel.Warning, "Shard {Shard} did not answer the operators' list (the page is partial): {Reason}")]
    public static partial void ShardUnavailable(ILogger logger, string shard, string reason);
}
