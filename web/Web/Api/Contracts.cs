namespace Platform.Web.Api;

// The APIs' JSON, as the web app reads it (the services own the originals).

public sealed record Product(int Id, string Name, string? Description, decimal Price, int Stock);

public sealed record ProductPage(IReadOnlyList<Product> Items, int Page, int PageSize, int Total)
{
    public int Pages => Math.Max(1, (Total + PageSize - 1) / PageSize);
}

public sealed record ProductEdit(string Name, string? Description, decimal Price);

public sealed record NewProduct(string Name, string? Description, decimal Price, int Stock);

public sealed record Restock(int Quantity);

public sealed record StockLevel(int Id, int Stock);

public sealed record OrderLineRequest(int ProductId, int Quantity);

public sealed record PlaceOrder(IReadOnlyList<OrderLineRequest> Items);

public sealed record OrderAccepted(Guid OrderId, string Status);

public sealed record OrderItem(int ProductId, int Quantity, decimal? UnitPrice);

public sealed record Order(Guid Id, string Status, DateTimeOffset CreatedAt, DateTimeOffset? SettledAt, IReadOnlyList<OrderItem> Items,
    decimal? Total, string? Reason);

public sealed record OrderSummary(Guid Id, string Status, DateTimeOffset CreatedAt, int Quantity, decimal? Total);

public sealed record OrderPage(IReadOnlyList<OrderSummary> Items, int Page, int PageSize, int Total);
