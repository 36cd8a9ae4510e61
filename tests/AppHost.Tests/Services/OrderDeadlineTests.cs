using Microsoft.Extensions.DependencyInjection;
using Platform.AppHost.Infrastructure.RabbitMQ;

namespace Platform.AppHost.Tests.Services;

/// <summary>
/// An order whose payment step was dead-lettered is cancelled at its deadline (30 s in this fixture): its stock comes back
/// once and its payment is voided, so that redriving the dead letter afterwards charges nothing.
/// </summary>
[Collection(DeclinedPaymentsCollection.Name)]
public sealed class OrderDeadlineTests(DeclinedPaymentsFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_order_stuck_behind_a_dead_letter_expires_once_and_its_redriven_charge_never_happens()
    {
        var app = fixture.App;
        var flow = new OrderFlow(fixture);
        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        var replicas = (await AppUnderTest.InstancesAsync(app, "payments")).Keys.ToArray();
        foreach (var replica in replicas)
        {
            Assert.True((await commands.ExecuteCommandAsync(replica, KnownResourceCommands.StopCommand, Cancellation)).Success);
        }

        try
        {
            var productId = await flow.CreateProductAsync(price: 4m, stock: 5);
            var placed = await flow.PlaceAsync(productId, quantity: 2);
            await Eventually.ReachesAsync(() => Queues.ReadyMessagesAsync(app, "payments"), ready => ready == 1,
                ready => $"{ready} messages wait for payments, expected the order's StockReserved.", Patience);
            Assert.Equal("StockReserved", await Queues.MoveOneAsync(app, "payments", "payments.dead")); // as after its last failed attempt
            await flow.WaitForStockAsync(productId, 3);

            var order = await Eventually.ReachesAsync(() => flow.GetAsync(placed), o => o.Status != "processing",
                o => $"Order {o.Id} still {o.Status} after its deadline.", Patience * 3);
            Assert.Equal("cancelled", order.Status);
            Assert.StartsWith("Not settled within", order.Reason);
            await flow.WaitForStockAsync(productId, 5);

            foreach (var replica in replicas)
            {
                Assert.True((await commands.ExecuteCommandAsync(replica, KnownResourceCommands.StartCommand, Cancellation)).Success);
            }

            await Eventually.ReachesAsync(() => Payments.StatusAsync(app, placed.Id), status => status == "voided",
                status => $"The expired order's payment is {status ?? "missing"}, expected voided.", Patience);

            var redriven = await commands.ExecuteCommandAsync(replicas[0], DeadLetterRedrive.CommandName, Cancellation); // either replica: the queue is one
            Assert.True(redriven.Success, redriven.Message);
            Assert.Equal(0u, await Queues.ReadyMessagesAsync(app, "payments.dead"));
            var stockReserved = await Databases.ScalarAsync<Guid>(app, "catalogdb",
                "SELECT id FROM outbox_messages WHERE type = 'StockReserved' AND payload->>'orderId' = $1", placed.Id.ToString());
            await Eventually.ReachesAsync(() => Databases.ScalarAsync<bool>(app, "paymentsdb",
                    "SELECT EXISTS (SELECT 1 FROM inbox_messages WHERE message_id = $1)", stockReserved),
                handled => handled, _ => "The redriven StockReserved was never handled.", Patience);

            Assert.Equal(0L, await Payments.ChargesAsync(app, placed.Id));
            Assert.Equal("voided", await Payments.StatusAsync(app, placed.Id));
            Assert.Equal("cancelled", (await flow.GetAsync(placed)).Status);
            Assert.Equal(1L, await Databases.CountOrdersAsync(app,
                "SELECT count(*) FROM outbox_messages WHERE type = 'OrderExpired' AND payload->>'orderId' = $1", placed.Id.ToString()));
            Assert.Equal(5, await flow.StockAsync(productId));
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await commands.ExecuteCommandAsync(replica, KnownResourceCommands.StartCommand, CancellationToken.None);
            }

            await AppUnderTest.WaitForHealthyAsync(app, CancellationToken.None);
        }
    }
}
