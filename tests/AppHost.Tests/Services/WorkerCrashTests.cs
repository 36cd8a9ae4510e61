using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace Platform.AppHost.Tests.Services;

/// <summary>A worker process killed while it holds a message: the broker redelivers it, and it takes effect once.</summary>
[Collection(DeclinedPaymentsCollection.Name)]
public sealed class WorkerCrashTests(DeclinedPaymentsFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_payments_worker_killed_mid_message_gets_it_again_and_it_takes_effect_once()
    {
        var app = fixture.App;
        var flow = new OrderFlow(fixture);
        var productId = await flow.CreateProductAsync(price: 3m, stock: 5);
        var placed = await flow.PlaceAsync(productId, quantity: 2);

        // StockReserved was published and has left the payments queue, but no payment exists: a replica holds it,
        // waiting on the (3 s) provider inside its transaction.
        await Eventually.ReachesAsync(async () => await StockReservedPublishedAsync(placed.Id) && await ReadyMessagesAsync("payments") == 0
            && await PaymentsAsync(placed.Id) == 0, held => held, _ => "The payments worker never took the StockReserved message.", Patience);

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

        Assert.Equal(0L, await PaymentsAsync(placed.Id));
        Assert.Equal("processing", (await flow.GetAsync(placed)).Status);

        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        foreach (var replica in replicas)
        {
            Assert.True((await commands.ExecuteCommandAsync(replica, KnownResourceCommands.StartCommand, Cancellation)).Success);
        }

        var order = await flow.SettleAsync(placed);
        Assert.Equal("cancelled", order.Status);
        Assert.Equal(1L, await PaymentsAsync(placed.Id));
        Assert.Equal(1L, await Databases.ScalarAsync<long>(app, "paymentsdb",
            "SELECT count(*) FROM outbox_messages WHERE type = 'PaymentFailed' AND payload->>'orderId' = $1", placed.Id.ToString()));
        await flow.WaitForStockAsync(productId, 5); // released once: twice would make it 7
        await AppUnderTest.WaitForHealthyAsync(app, Cancellation);
        Assert.Equal(5, await flow.StockAsync(productId));
    }

    private Task<bool> StockReservedPublishedAsync(Guid orderId) => Databases.ScalarAsync<bool>(fixture.App, "catalogdb",
        "SELECT EXISTS (SELECT 1 FROM outbox_messages WHERE type = 'StockReserved' AND payload->>'orderId' = $1 AND published_at IS NOT NULL)",
        orderId.ToString());

    private async Task<long> PaymentsAsync(Guid orderId) =>
        await Databases.ScalarAsync<long>(fixture.App, "paymentsdb", "SELECT count(*) FROM payments WHERE order_id = $1", orderId);

    /// <summary>Messages waiting in a queue, not counting those a consumer holds unacknowledged.</summary>
    private async Task<uint> ReadyMessagesAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(await fixture.App.ConnectionStringAsync("eventbus", Cancellation)) };
        await using var connection = await factory.CreateConnectionAsync(Cancellation);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Cancellation);
        return (await channel.QueueDeclarePassiveAsync(queue, Cancellation)).MessageCount;
    }
}
