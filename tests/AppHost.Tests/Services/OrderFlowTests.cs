namespace Platform.AppHost.Tests.Services;

/// <summary>The order flow through RabbitMQ: orders → inventory → payments → orders, with payments approved.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class OrderFlowTests(SharedAppFixture fixture)
{
    [Fact]
    public async Task An_order_is_confirmed_priced_and_its_stock_taken()
    {
        var flow = new OrderFlow(fixture);
        var productId = await flow.CreateProductAsync(price: 7.5m, stock: 5);
        Assert.Equal(5, await flow.CatalogStockAsync(productId)); // now cached (for minutes in Redis)

        var order = await flow.PlaceAndSettleAsync(productId, quantity: 2);

        Assert.Equal("confirmed", order.Status);
        Assert.Equal(15m, order.Total);
        Assert.Equal([new OrderItem(productId, 2, 7.5m)], order.Items);
        Assert.NotNull(order.SettledAt);
        Assert.Equal(3, await flow.StockAsync(productId));
        await flow.WaitForCatalogStockAsync(productId, 3); // inventory's change reached the catalog's cache
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

    [Fact]
    public async Task Orders_racing_for_the_last_units_confirm_as_many_as_the_stock_allows_and_never_oversell()
    {
        var flow = new OrderFlow(fixture);
        var productId = await flow.CreateProductAsync(price: 1m, stock: 3);

        var placed = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => flow.PlaceAsync(productId, quantity: 1)));
        var orders = await Task.WhenAll(placed.Select(flow.SettleAsync));

        Assert.Equal(3, orders.Count(o => o.Status == "confirmed"));
        Assert.Equal(5, orders.Count(o => o.Status == "cancelled"));
        Assert.Equal(0, await flow.StockAsync(productId));
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
        await flow.WaitForCatalogStockAsync(productId, 5);
    }
}
