using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.AppHost.Tests.Services;

/// <summary>
/// A payments worker killed at the worst moment — the provider has charged, the worker has not committed the outcome — gets
/// the message again and settles it without a second charge: the provider answers the repeated idempotency key with the
/// first charge.
/// </summary>
[Collection(DeclinedPaymentsCollection.Name)]
public sealed class WorkerCrashTests(DeclinedPaymentsFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_payments_worker_killed_between_the_charge_and_its_commit_charges_once()
    {
        var app = fixture.App;
        var flow = new OrderFlow(fixture);
        var productId = await flow.CreateProductAsync(price: 3m, stock: 5);
        var placed = await flow.PlaceAsync(productId, quantity: 2);

        // The provider has recorded the charge; its answer takes 3 s to come back, and the payment is still pending.
        await Eventually.ReachesAsync(() => ChargesAsync(placed.Id), charges => charges == 1,
            _ => "The provider never recorded a charge for the order.", Patience);
        Assert.Equal("pending", await PaymentStatusAsync(placed.Id));

        var replicas = (await AppUnderTest.InstancesAsync(app, "payments")).Keys.ToArray();
        Assert.Equal(2, replicas.Length);
        foreach (var pid in await LocalProcesses.OfResourceAsync(app, "payments"))
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(); // SIGKILL: no shutdown, no ack, the open transaction dies with the connection
        }

        await Eventually.ReachesAsync(
            async () => (await AppUnderTest.InstancesAsync(app, "payments")).Values.All(i => KnownResourceStates.TerminalStates.Contains(i.State?.Text)),
            ended => ended, async _ => $"The killed replicas did not end: {await AppUnderTest.DescribeAsync(app)}", Patience);

        Assert.Equal("pending", await PaymentStatusAsync(placed.Id));
        Assert.Equal("processing", (await flow.GetAsync(placed)).Status);

        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        foreach (var replica in replicas)
        {
            Assert.True((await commands.ExecuteCommandAsync(replica, KnownResourceCommands.StartCommand, Cancellation)).Success);
        }

        var order = await flow.SettleAsync(placed);
        Assert.Equal("cancelled", order.Status);
        Assert.Equal("failed", await PaymentStatusAsync(placed.Id));
        Assert.Equal(1L, await ChargesAsync(placed.Id)); // asked twice, charged once
        Assert.Equal(1L, await Databases.ScalarAsync<long>(app, "paymentsdb",
            "SELECT count(*) FROM outbox_messages WHERE type = 'PaymentFailed' AND payload->>'orderId' = $1", placed.Id.ToString()));
        await flow.WaitForStockAsync(productId, 5); // released once: twice would make it 7
        await AppUnderTest.WaitForHealthyAsync(app, Cancellation);
        Assert.Equal(5, await flow.StockAsync(productId));
    }

    private Task<long> ChargesAsync(Guid orderId) => Payments.ChargesAsync(fixture.App, orderId);

    private Task<string?> PaymentStatusAsync(Guid orderId) => Payments.StatusAsync(fixture.App, orderId);
}
