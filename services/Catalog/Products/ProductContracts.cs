using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Platform.Data;

namespace Platform.Catalog.Products;

[ImmutableObject(true)]
public sealed record ProductResponse(int Id, string Name, string? Description, decimal Price, int Stock);

[ImmutableObject(true)]
public sealed record ProductPage(IReadOnlyList<ProductResponse> Items, int Page, int PageSize, int Total);

/// <summary>The query string of <c>GET /products</c>.</summary>
/// <param name="Page">1-based page number.</param>
/// <param name="PageSize">Products per page (1–100).</param>
/// <param name="Search">Case-insensitive substring of the product name.</param>
/// <param name="Sort"><c>name</c> (default), <c>-name</c>, <c>price</c> or <c>-price</c>.</param>
public sealed record ProductQuery(
    [Range(1, 10_000)] int Page = 1,
    [Range(1, 100)] int PageSize = 20,
    [StringLength(100), PlainText] string? Search = null,
    [AllowedValues(null, "name", "-name", "price", "-price")] string? Sort = null);

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
