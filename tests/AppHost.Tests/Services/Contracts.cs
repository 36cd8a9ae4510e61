namespace Platform.AppHost.Tests.Services;

// What the services answer, as a client sees it (the tests do not share the services' types).
public sealed record Product(int Id, string Name, string? Description, decimal Price, int Stock);

public sealed record ProductPage(IReadOnlyList<Product> Items, int Page, int PageSize, int Total);

public sealed record StockLevel(int Id, int Stock);

public sealed record OrderAccepted(Guid OrderId, string Status);

public sealed record OrderItem(int ProductId, int Quantity, decimal? UnitPrice);

public sealed record Order(Guid Id, string Status, DateTimeOffset CreatedAt, DateTimeOffset? SettledAt, IReadOnlyList<OrderItem> Items, decimal? Total,
    string? Reason);

public sealed record OrderSummary(Guid Id, string Status, DateTimeOffset CreatedAt, int Quantity, decimal? Total);

public sealed record OrderPage(IReadOnlyList<OrderSummary> Items, int Page, int PageSize, int Total);

public sealed record Problem(string? Title, int Status, Dictionary<string, string[]>? Errors);
