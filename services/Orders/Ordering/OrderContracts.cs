using System.ComponentModel.DataAnnotations;
using Platform.Data;

namespace Platform.Orders.Ordering;

public sealed record PlaceOrderRequest([Required, MinLength(1), MaxLength(50), NoNullItems] IReadOnlyList<OrderItemRequest> Items);

public sealed record OrderItemRequest([Range(1, int.MaxValue)] int ProductId, [Range(1, 1000)] int Quantity);

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
