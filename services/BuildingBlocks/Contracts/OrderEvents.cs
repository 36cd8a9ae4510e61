using Platform.Messaging;

namespace Platform.Contracts;

/// <summary>One product and quantity in an order.</summary>
public sealed record OrderLineItem(int ProductId, int Quantity);

/// <summary>A priced line: the unit price the catalog had when the stock was reserved.</summary>
public sealed record PricedLineItem(int ProductId, int Quantity, decimal UnitPrice);

/// <summary>Orders: a customer placed an order (it is <c>processing</c>).</summary>
public sealed record OrderPlaced(Guid OrderId, string BuyerId, IReadOnlyList<OrderLineItem> Items) : IntegrationEvent;

/// <summary>Inventory: every line's stock is reserved for the order, at these prices.</summary>
public sealed record StockReserved(Guid OrderId, IReadOnlyList<PricedLineItem> Items, decimal Total) : IntegrationEvent;

/// <summary>Inventory: the order cannot be served (unknown product or not enough stock); nothing is reserved.</summary>
public sealed record StockRejected(Guid OrderId, string Reason) : IntegrationEvent;

/// <summary>Inventory: a failed order's reservation was released; these quantities are back in stock.</summary>
public sealed record StockReleased(Guid OrderId, IReadOnlyList<OrderLineItem> Items) : IntegrationEvent;

/// <summary>Payments: the order's total was charged, for these priced lines (from <see cref="StockReserved"/>).</summary>
public sealed record PaymentSucceeded(Guid OrderId, decimal Amount, IReadOnlyList<PricedLineItem> Items) : IntegrationEvent;

/// <summary>Payments: the charge was declined; inventory releases the stock, orders cancels (keeping the prices it was offered).</summary>
public sealed record PaymentFailed(Guid OrderId, string Reason, IReadOnlyList<PricedLineItem> Items) : IntegrationEvent;

/// <summary>Orders: the order reached its final state — <c>confirmed</c> (with its total) or <c>cancelled</c> (with the reason).</summary>
public sealed record OrderSettled(Guid OrderId, string BuyerId, string Status, string? Reason, decimal? Total) : IntegrationEvent;

/// <summary>
/// Orders: the order was not settled within its deadline and is cancelled (a step failed for good, or is stuck): inventory
/// releases its stock, payments refunds or voids its charge.
/// </summary>
public sealed record OrderExpired(Guid OrderId) : IntegrationEvent;
