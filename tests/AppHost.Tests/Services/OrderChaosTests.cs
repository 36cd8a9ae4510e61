using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.AppHost.Tests.Identity;

namespace Platform.AppHost.Tests.Services;

/// <summary>Orders keep being accepted while the broker is down, and every one of them settles once it is back.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class OrderChaosTests(SharedAppFixture fixture)
{
    private const int Orders = 24;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_order_accepted_while_RabbitMQ_is_stopped_and_restarted_settles_once_and_the_stock_adds_up()
    {
        var flow = new OrderFlow(fixture);
        var productId = await flow.CreateProductAsync(price: 1m, stock: 1000);
        using var orders = new ServiceClient(fixture.App, "orders", await fixture.AccessTokenAsync(IdentityClient.Customer, "orders"));
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        var placed = new List<(Guid Id, int Quantity)>();

        for (var i = 0; i < Orders; i++)
        {
            if (i == Orders / 3)
            {
                Assert.True((await commands.ExecuteCommandAsync("eventbus", KnownResourceCommands.StopCommand, Cancellation)).Success);
            }

            if (i == 2 * Orders / 3)
            {
                await fixture.App.StartAgainAsync("eventbus", Cancellation);
            }

            var quantity = 1 + (i % 3);
            using var response = await orders.SendJsonAsync(HttpMethod.Post, "/orders", new { items = new[] { new { productId, quantity } } });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode); // the outbox does not need the broker
            placed.Add(((await response.Content.ReadFromJsonAsync<OrderAccepted>(Cancellation))!.OrderId, quantity));
        }

        var ids = placed.Select(p => p.Id).ToArray();
        await Eventually.ReachesAsync(
            () => Databases.CountOrdersAsync(fixture.App, "SELECT count(*) FROM orders WHERE id = ANY($1) AND status = 'Processing'", ids),
            processing => processing == 0, processing => $"{processing} of {Orders} orders still processing after {Patience.TotalSeconds} s.", Patience);

        Assert.Equal((long)Orders, await Databases.CountOrdersAsync(fixture.App,
            "SELECT count(*) FROM orders WHERE id = ANY($1) AND status = 'Confirmed'", ids));
        Assert.Equal((long)Orders, await Databases.ScalarAsync<long>(fixture.App, "paymentsdb",
            "SELECT count(*) FROM payments WHERE order_id = ANY($1)", ids)); // one charge each: the key is the order
        Assert.Equal((long)Orders, await Databases.ScalarAsync<long>(fixture.App, "catalogdb",
            "SELECT count(*) FROM stock_reservations WHERE order_id = ANY($1) AND status = 'reserved'", ids));
        Assert.Equal(1000 - placed.Sum(p => p.Quantity), await flow.StockAsync(productId));
        await AppUnderTest.WaitForHealthyAsync(fixture.App, Cancellation); // the workers' consumers are back too
    }
}
