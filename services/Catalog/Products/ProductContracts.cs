using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Platform.Data;

namespace Platform.Catalog.Products;

[ImmutableObject(true)]
public sealed record ProductResponse(int Id, string Name, string? Description, decimal Price, int Stock);

[ImmutableObject(true)]
public sealed record ProductPage(IReadOnlyList<ProductResponse> Items, int Page, int PageSize, int Total);

/// <summary>The query string of <c>GET /products</c>, validated by the endpoint.</summary>
public sealed record ProductQuery(int Page, int PageSize, string? Search, string? Sort);

public sealed record CreateProductRequest(
    [Required, StringLength(200), PlainText] string Name,
    [StringLength(2000), PlainText(AllowLineBreaks = true)] string? Description,
    [Range(0.01, 1_000_000)] decimal Price,
    [Range(0, 1_000_000)] int Stock);

public sealed record UpdateProductRequest(
    [Required, StringLength(200), PlainText] string Name,
    [StringLength(2000), PlainText(AllowLineBreaks = true)] string? Description,
    [Range(0.01, 1_000_000)] decimal Price);

public sealed record RestockRequest([Range(1, 1_000_000)] int Quantity);

public sealed record StockResponse(int Id, int Stock);
