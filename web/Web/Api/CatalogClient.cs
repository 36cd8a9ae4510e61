using System.Globalization;

namespace Platform.Web.Api;

/// <summary>The catalog API through the gateway (<c>/api/catalog</c>).</summary>
public sealed class CatalogClient(GatewayApi api, ReadYourWrites writes)
{
    public const int PageSize = 12;

    public async Task<ApiResult<ProductPage>> ListAsync(int page, string? search, string? sort, CancellationToken ct)
    {
        var query = new Dictionary<string, string?>
        {
            ["page"] = page.ToString(CultureInfo.InvariantCulture),
            ["pageSize"] = PageSize.ToString(CultureInfo.InvariantCulture),
            ["search"] = string.IsNullOrWhiteSpace(search) ? null : search.Trim(),
            ["sort"] = string.IsNullOrEmpty(sort) ? null : sort,
        };
        return await api.GetAsync<ProductPage>(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("api/catalog/products", query),
            await writes.LastAsync(), ct);
    }

    public async Task<ApiResult<Product>> GetAsync(int id, CancellationToken ct) =>
        await api.GetAsync<Product>($"api/catalog/products/{id}", await writes.LastAsync(), ct);

    public Task<ApiResult<Product>> CreateAsync(NewProduct product, CancellationToken ct) =>
        writes.AfterAsync(api.SendAsync<Product>(HttpMethod.Post, "api/catalog/products", product, ct));

    /// <summary>Saves an edit only if nobody changed the product since <paramref name="etag"/> was read (else a 412 problem).</summary>
    public Task<ApiResult<Product>> UpdateAsync(int id, ProductEdit edit, string etag, CancellationToken ct) =>
        writes.AfterAsync(api.SendAsync<Product>(HttpMethod.Put, $"api/catalog/products/{id}", edit,
            request => request.Headers.TryAddWithoutValidation("If-Match", etag), ct));

    public Task<ApiResult<StockLevel>> RestockAsync(int id, int quantity, CancellationToken ct) =>
        writes.AfterAsync(api.SendAsync<StockLevel>(HttpMethod.Post, $"api/catalog/products/{id}/restock", new Restock(quantity), ct));
}
