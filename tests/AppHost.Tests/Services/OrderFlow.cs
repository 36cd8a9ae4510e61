using System.Net;
using System.Net.Http.Json;
using Platform.AppHost.Tests.Identity;

namespace Platform.AppHost.Tests.Services;

/// <summary>Places orders the way a customer does and waits for the background steps to settle them.</summary>
internal sealed class OrderFlow(AppFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public async Task<int> CreateProductAsync(decimal price, int stock)
    {
        using var admin = new ServiceClient(fixture.App, "catalog", await fixture.AccessTokenAsync(IdentityClient.Admin, "catalog catalog.admin"));
        using var created = await admin.SendJsonAsync(HttpMethod.Post, "/products", new { name = $"Flow item {Guid.NewGuid():N}", price, stock });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<Product>(Cancellation))!.Id;
    }

    /// <summary>Places an order and polls it until it leaves <c>processing</c>.</summary>
    public async Task<Order> PlaceAndSettleAsync(int productId, int quantity) =>
        await SettleAsync(await PlaceAsync(productId, quantity));

    public async Task<PlacedOrder> PlaceAsync(int productId, int quantity)
    {
        using var orders = await OrdersAsync();
        using var placed = await orders.SendJsonAsync(HttpMethod.Post, "/orders", new { items = new[] { new { productId, quantity } } });
        Assert.Equal(HttpStatusCode.Accepted, placed.StatusCode);
        var accepted = (await placed.Content.ReadFromJsonAsync<OrderAccepted>(Cancellation))!;
        return new PlacedOrder(accepted.OrderId, placed.Headers.Location!.ToString(), placed.ConsistencyToken());
    }

    /// <summary>Polls the order until it leaves <c>processing</c>.</summary>
    public Task<Order> SettleAsync(PlacedOrder placed) => Eventually.ReachesAsync(() => GetAsync(placed),
        order => order.Status != "processing", order => $"Order {order.Id} still processing after {Patience.TotalSeconds} s.", Patience);

    public async Task<Order> GetAsync(PlacedOrder placed)
    {
        using var orders = await OrdersAsync();
        return await orders.GetJsonAsync<Order>(placed.Location, placed.ConsistencyToken);
    }

    private async Task<ServiceClient> OrdersAsync() =>
        new(fixture.App, "orders", await fixture.AccessTokenAsync(IdentityClient.Customer, "orders"));

    /// <summary>The stock the catalog API shows (no consistency token: what any customer sees, cached or not).</summary>
    public async Task<int> CatalogStockAsync(int productId)
    {
        using var catalog = new ServiceClient(fixture.App, "catalog", await fixture.AccessTokenAsync(IdentityClient.Customer, "catalog"));
        return (await catalog.GetJsonAsync<Product>($"/products/{productId}")).Stock;
    }

    /// <summary>Waits until the catalog API shows <paramref name="expected"/> for the product.</summary>
    public Task WaitForCatalogStockAsync(int productId, int expected) => Eventually.ReachesAsync(() => CatalogStockAsync(productId),
        stock => stock == expected, stock => $"The catalog shows {stock} in stock, expected {expected}.", Patience);

    public Task<int> StockAsync(int productId) =>
        Databases.ScalarAsync<int>(fixture.App, "catalogdb", "SELECT stock FROM products WHERE id = $1", productId);

    public Task WaitForStockAsync(int productId, int expected) => Eventually.ReachesAsync(() => StockAsync(productId),
        stock => stock == expected, stock => $"Stock is {stock}, expected {expected}.", Patience);
}

internal sealed record PlacedOrder(Guid Id, string Location, string? ConsistencyToken);
