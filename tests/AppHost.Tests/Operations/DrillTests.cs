using Microsoft.Extensions.DependencyInjection;
using Platform.AppHost.Operations;
using Platform.AppHost.Tests.Services;

namespace Platform.AppHost.Tests.Operations;

/// <summary>The dashboard's chaos drills, run through the app model's commands: each has its effect, and the platform recovers.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class DrillTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private IResource Payments => fixture.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "payments");

    private ResourceCommandService Commands => fixture.App.Services.GetRequiredService<ResourceCommandService>();

    [Fact]
    public async Task Declining_payments_cancels_orders_until_the_drill_ends_and_every_order_settles_once_with_its_stock()
    {
        var flow = new OrderFlow(fixture);
        var productId = await flow.CreateProductAsync(price: 1m, stock: 100);
        var settled = new List<Order>();
        try
        {
            var started = await Commands.ExecuteCommandAsync(Payments, PaymentDrill.DeclineCommand, Percent("100"), Cancellation);
            Assert.True(started.Success, started.Message);

            // The workers take the drill's settings within moments; from then on every charge is declined.
            var declined = await Eventually.ReachesAsync(() => Record(flow.PlaceAndSettleAsync(productId, quantity: 1)),
                order => order.Status == "cancelled", order => $"order {order.Id} was {order.Status} 30 s into the drill", TimeSpan.FromSeconds(30));
            Assert.Equal("The card was declined.", declined.Reason);
            Assert.Equal("cancelled", (await Record(flow.PlaceAndSettleAsync(productId, quantity: 1))).Status);
        }
        finally
        {
            Assert.True((await Commands.ExecuteCommandAsync(Payments, PaymentDrill.EndCommand, Cancellation)).Success);
        }

        await Eventually.ReachesAsync(() => Record(flow.PlaceAndSettleAsync(productId, quantity: 1)),
            order => order.Status == "confirmed", order => $"order {order.Id} still {order.Status} after the drill ended", TimeSpan.FromSeconds(30));

        // Nothing lost: every order placed settled, and the stock of the cancelled ones came back.
        Assert.All(settled, order => Assert.NotEqual("processing", order.Status));
        await flow.WaitForStockAsync(productId, 100 - settled.Count(o => o.Status == "confirmed"));

        async Task<Order> Record(Task<Order> placed)
        {
            var order = await placed;
            settled.Add(order);
            return order;
        }
    }

    [Theory]
    [InlineData("101")]
    [InlineData("-1")]
    public async Task A_share_of_declines_that_is_no_percentage_is_refused_and_starts_no_drill(string percent)
    {
        var refused = await Commands.ExecuteCommandAsync(Payments, PaymentDrill.DeclineCommand, Percent(percent), Cancellation);

        Assert.False(refused.Success);
        var flow = new OrderFlow(fixture);
        Assert.Equal("confirmed", (await flow.PlaceAndSettleAsync(await flow.CreateProductAsync(price: 1m, stock: 1), quantity: 1)).Status);
    }

    private static InteractionInputCollection Percent(string value) =>
        new([new InteractionInput { Name = "percent", Label = "Charges declined (%)", InputType = InputType.Number, Value = value }]);
}
