using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Platform.Catalog.Data;
using Platform.Data;
using static Microsoft.Extensions.Hosting.AuthenticationExtensions;

namespace Platform.Catalog.Products;

/// <summary>
/// Products over HTTP. Queries (scope <c>catalog</c>) are cached and read from the replicas; commands
/// (scope <c>catalog.admin</c>) write to the primary, invalidate the cache and return a
/// <c>Consistency-Token</c> that makes the caller's next read see the write.
/// </summary>
public static class ProductsApi
{
    public const string ReadScope = "catalog";
    public const string AdminScope = "catalog.admin";

    public static IEndpointRouteBuilder MapProducts(this IEndpointRouteBuilder app)
    {
        var queries = app.MapGroup("/products").WithTags("Products").RequireAuthorization(ScopePolicy(ReadScope));
        queries.MapGet("/", ListAsync);
        queries.MapGet("/{id:int}", GetAsync);

        var commands = app.MapGroup("/products").WithTags("Products").RequireAuthorization(ScopePolicy(AdminScope));
        commands.MapPost("/", CreateAsync);
        commands.MapPut("/{id:int}", UpdateAsync);
        commands.MapPost("/{id:int}/restock", RestockAsync);
        return app;
    }

    // The query string is bound parameter by parameter, not with [AsParameters]: OpenAPI generation in .NET 10 fails on
    // validation attributes of an [AsParameters] record's constructor (dotnet/aspnetcore#65348).
    /// <summary>A page of products.</summary>
    /// <param name="after">The <c>Consistency-Token</c> of the caller's last write: the page includes it.</param>
    /// <param name="reads">Cached, replica-aware product reads.</param>
    /// <param name="http">The request (ETag check).</param>
    /// <param name="ct">Request aborted.</param>
    /// <param name="page">1-based page number.</param>
    /// <param name="pageSize">Products per page (1–100).</param>
    /// <param name="search">Case-insensitive substring of the product name.</param>
    /// <param name="sort"><c>name</c> (default), <c>-name</c>, <c>price</c> or <c>-price</c>.</param>
    private static async Task<Results<Ok<ProductPage>, StatusCodeHttpResult>> ListAsync(
        [FromHeader(Name = ConsistencyToken.HeaderName)] ConsistencyToken? after, ProductReads reads, HttpContext http, CancellationToken ct,
        [Range(1, 10_000)] int page = 1,
        [Range(1, 100)] int pageSize = 20,
        [StringLength(100), PlainText] string? search = null,
        [AllowedValues(null, "name", "-name", "price", "-price")] string? sort = null)
    {
        var entry = await reads.PageAsync(new ProductQuery(page, pageSize, search, sort), after, ct);
        return NotModified(http, entry.ETag) ? TypedResults.StatusCode(StatusCodes.Status304NotModified) : TypedResults.Ok(entry.Page);
    }

    private static async Task<Results<Ok<ProductResponse>, StatusCodeHttpResult, NotFound>> GetAsync(
        int id, [FromHeader(Name = ConsistencyToken.HeaderName)] ConsistencyToken? after,
        ProductReads reads, HttpContext http, CancellationToken ct)
    {
        var entry = await reads.ProductAsync(id, after, ct);
        if (entry.Product is null)
        {
            return TypedResults.NotFound();
        }

        return NotModified(http, entry.ETag) ? TypedResults.StatusCode(StatusCodes.Status304NotModified) : TypedResults.Ok(entry.Product);
    }

    private static async Task<Results<Created<ProductResponse>, ValidationProblem>> CreateAsync(
        CreateProductRequest request, CatalogDb db, ReplicatedDatabase<CatalogDb> database, ProductReads reads,
        HttpContext http, CancellationToken ct)
    {
        if (PriceErrors(request.Price) is { } errors)
        {
            return errors;
        }

        var product = new Product { Name = request.Name.Trim(), Description = request.Description, Price = request.Price, Stock = request.Stock };
        db.Products.Add(product);
        await db.SaveChangesAsync(ct);
        await WrittenAsync(http, database, reads, product.Id, ct);
        http.Response.Headers.ETag = ProductReads.ETagOf(product.Version);
        return TypedResults.Created($"{http.Request.PathBase}/products/{product.Id}", ToResponse(product));
    }

    /// <summary>Replaces name, description and price. <c>If-Match</c> (the ETag of a GET) makes it conditional: 412 when the product changed since.</summary>
    private static async Task<Results<Ok<ProductResponse>, NotFound, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        int id, UpdateProductRequest request, [FromHeader(Name = "If-Match")] string? ifMatch,
        CatalogDb db, ReplicatedDatabase<CatalogDb> database, ProductReads reads, HttpContext http, CancellationToken ct)
    {
        if (PriceErrors(request.Price) is { } errors)
        {
            return errors;
        }

        var product = await db.Products.FirstOrDefaultAsync(p => p.Id == id, ct);
        if (product is null)
        {
            return TypedResults.NotFound();
        }

        if (ifMatch is not null && !Matches(ifMatch, ProductReads.ETagOf(product.Version)))
        {
            return Changed();
        }

        product.Name = request.Name.Trim();
        product.Description = request.Description;
        product.Price = request.Price;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException) when (ifMatch is not null)
        {
            return Changed(); // changed between our read and our write
        }
        catch (DbUpdateConcurrencyException)
        {
            return TypedResults.NotFound(); // deleted meanwhile
        }

        await WrittenAsync(http, database, reads, id, ct);
        http.Response.Headers.ETag = ProductReads.ETagOf(product.Version);
        return TypedResults.Ok(ToResponse(product));
    }

    /// <summary>Adds stock atomically (no read-modify-write race with concurrent restocks or reservations).</summary>
    private static async Task<Results<Ok<StockResponse>, NotFound, ProblemHttpResult>> RestockAsync(
        int id, RestockRequest request, CatalogDb db, ReplicatedDatabase<CatalogDb> database, ProductReads reads,
        HttpContext http, CancellationToken ct)
    {
        var stock = await db.Database.SqlQuery<int>($"""
            UPDATE products SET stock = stock + {request.Quantity}
            WHERE id = {id} AND stock <= {CatalogDb.MaxStock - request.Quantity}
            RETURNING stock AS "Value"
            """).ToListAsync(ct);
        if (stock.Count == 0)
        {
            return await db.Products.AnyAsync(p => p.Id == id, ct)
                ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Too much stock",
                    detail: $"A product holds at most {CatalogDb.MaxStock} units.")
                : TypedResults.NotFound();
        }

        await WrittenAsync(http, database, reads, id, ct);
        return TypedResults.Ok(new StockResponse(id, stock[0]));
    }

    private static async Task WrittenAsync(HttpContext http, ReplicatedDatabase<CatalogDb> database, ProductReads reads, int id, CancellationToken ct)
    {
        http.Response.Headers[ConsistencyToken.HeaderName] = (await database.WrittenAsync(ct)).ToString();
        await reads.InvalidateAsync(id, ct);
    }

    private static ValidationProblem? PriceErrors(decimal price) => decimal.Round(price, 2) == price
        ? null
        : TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["price"] = ["The price has at most two decimals."] });

    /// <summary>Sets the ETag and revalidation headers; true when the client's copy (<c>If-None-Match</c>) is current.</summary>
    private static bool NotModified(HttpContext http, string etag)
    {
        http.Response.Headers.ETag = etag;
        http.Response.Headers.CacheControl = "private, no-cache";
        return http.Request.Headers.IfNoneMatch.Count > 0 && Matches(http.Request.Headers.IfNoneMatch.ToString(), etag);
    }

    private static bool Matches(string header, string etag) =>
        EntityTagHeaderValue.TryParseList([header], out var tags)
        && tags.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(new EntityTagHeaderValue(etag), useStrongComparison: false));

    private static ProblemHttpResult Changed() => TypedResults.Problem(statusCode: StatusCodes.Status412PreconditionFailed,
        title: "The product has changed", detail: "Someone updated it since you read it: get it again and reapply your change.");

    private static ProductResponse ToResponse(Product p) => new(p.Id, p.Name, p.Description, p.Price, p.Stock);
}
