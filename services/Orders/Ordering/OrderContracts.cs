using System.ComponentModel.DataAnnotations;
using Platform.Data;

namespace Platform.Orders.Ordering;

public sealed record PlaceOrderRequest([Required, MinLength(1), MaxLength(50), NoNullItems] IReadOnlyList<OrderItemRequest> Items)
{
    /// <summary>
    /// Items in all lines together. At the catalog's highest price (1,000,000) the total then fits the amount columns
    /// (numeric(12,2)): a larger order would fail in the payment step, after it was accepted, instead of here with a 400.
    /// </summary>
    public const int MaxItems = 1000;
}

public sealed record OrderItemRequest([Range(1, int.MaxValue)] int ProductId, [Range(1, PlaceOrderRequest.MaxItems)] int Quantity);

/// <summary>The answer to <c>POST /orders</c>: accepted, being processed in the background.</summary>
public sealed record OrderAccepted(Guid OrderId, string Status);

public sealed record OrderItemResponse(int ProductId, int Quantity, decimal? UnitPrice);

/// <summary>One order; <c>Reason</c> says why it was cancelled.</summary>
public sealed record OrderResponse(Guid Id, string Status, DateTimeOffset CreatedAt, DateTimeOffset? SettledAt, IReadOnlyList<OrderItemResponse> Items, decimal? Total,
    string? Reason);

public sealed record OrderSummary(Guid Id, string Status, DateTimeOffset CreatedAt, int Quantity, decimal? Total);

public sealed record OrderPage(IReadOnlyList<OrderSummary> Items, int Page, int PageSize, int Total);

/// <summary>The query string of <c>GET /orders</c>.</summary>
public sealed record OrderQuery(int Page, int PageSize);
