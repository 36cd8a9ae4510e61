using System.Net;
using System.Net.Http.Json;
using Platform.AppHost.Tests.Identity;

namespace Platform.AppHost.Tests.Services;

[Collection(LocalInfrastructureCollection.Name)]
public sealed class LocalOrderFlowTests(LocalInfrastructureFixture fixture) : OrderFlowTests(fixture);

[Collection(ContainerInfrastructureCollection.Name)]
public sealed class ContainerOrderFlowTests(ContainerInfrastructureFixture fixture) : OrderFlowTests(fixture);

/// <summary>The order flow through RabbitMQ: orders → inventory → payments → orders, with payments approved.</summary>
public abstract class OrderFlowTests(PlatformFixture fixture)
{
    [Fact]
    public async Task An_order_is_confirmed_priced_and_its_stock_taken()
    {
        var flow = new OrderFlow(fixture);
        var productId = await flow.CreateProductAsync(price: 7.5m, stock: 5);

        var order = await flow.PlaceAndSettleAsync(productId, quantity: 2);

        Assert.Equal("confirmed", order.Status);
        Assert.Equal(15m, order.Total);
        Assert.Equal([new OrderItem(productId, 2, 7.5m)], order.Items);
        Assert.Equal(3, await flow.StockAsync(productId));
    }

    [Fact]
    public async Task An_order_for_more_than_the_stock_is_cancelled_and_takes_nothing()
    {
        var flow = new OrderFlow(fixture);
        var productId = await flow.CreateProductAsync(price: 2m, stock: 1);

        var order = await flow.PlaceAndSettleAsync(productId, quantity: 2);

        Assert.Equal("cancelled", order.Status);
        Assert.Equal(1, await flow.StockAsync(productId));
    }
}

[Collection(DeclinedPaymentsCollection.Name)]
public sealed class DeclinedPaymentTests(DeclinedPaymentsFixture fixture)
{
    [Fact]
    public async Task With_every_payment_declined_the_order_is_cancelled_and_its_stock_comes_back()
    {
        var flow = new OrderFlow(fixture);
        var productId = await flow.CreateProductAsync(price: 4m, stock: 5);

        var order = await flow.PlaceAndSettleAsync(productId, quantity: 2);

        Assert.Equal("cancelled", order.Status);
        await flow.WaitForStockAsync(productId, 5); // released by inventory once it sees PaymentFailed
    }
}

/// <summary>Places orders the way a customer does and waits for the background steps to settle them.</summary>
internal sealed class OrderFlow(PlatformFixture fixture)
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
    public async Task<Order> PlaceAndSettleAsync(int productId, int quantity)
    {
        using var orders = new ServiceClient(fixture.App, "orders", await fixture.AccessTokenAsync(IdentityClient.Customer, "orders"));
        using var placed = await orders.SendJsonAsync(HttpMethod.Post, "/orders", new { items = new[] { new { productId, quantity } } });
        Assert.Equal(HttpStatusCode.Accepted, placed.StatusCode);
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var order = await orders.GetJsonAsync<Order>(placed.Headers.Location!.ToString(), placed.ConsistencyToken());
            if (order.Status != "processing")
            {
                return order;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Order {order.Id} still processing after {Patience.TotalSeconds} s.");
            await Task.Delay(100, Cancellation);
        }
    }

    public Task<int> StockAsync(int productId) =>
        Databases.ScalarAsync<int>(fixture.App, "catalogdb", "SELECT stock FROM products WHERE id = $1", productId);

    public async Task WaitForStockAsync(int productId, int expected)
    {
        var deadline = DateTime.UtcNow + Patience;
        int stock;
        while ((stock = await StockAsync(productId)) != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Stock is {stock}, expected {expected}.");
            await Task.Delay(100, Cancellation);
        }
    }
}
