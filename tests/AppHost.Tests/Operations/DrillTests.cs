using Microsoft.Extensions.DependencyInjection;
using Platform.AppHost.Operations;
using Platform.AppHost.Tests.Services;

namespace Platform.AppHost.Tests.Operations;

/// <summary>The dashboard's chaos drills, run through the app model's commands: each has its effect, and the platform recovers.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class DrillTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private IResource Payments => Resource("payments");

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

    [Fact]
    public async Task Orders_placed_while_the_broker_is_paused_all_settle_once_it_goes_on()
    {
        var flow = new OrderFlow(fixture);
        var productId = await flow.CreateProductAsync(price: 1m, stock: 100);

        var paused = await Commands.ExecuteCommandAsync(Resource("eventbus"), PauseDrill.Command, Input("seconds", "8"), Cancellation);
        Assert.True(paused.Success, paused.Message);
        if (fixture.Mode == "local")
        {
            Assert.All(await BrokerStatesAsync(), state => Assert.Equal("T", state)); // frozen indeed: stopped, not gone
        }

        // Accepted while the broker cannot answer (the outbox keeps them), settled once it goes on.
        var placed = new List<PlacedOrder>();
        for (var i = 0; i < 5; i++)
        {
            placed.Add(await flow.PlaceAsync(productId, quantity: 1));
        }

        var settled = await Task.WhenAll(placed.Select(flow.SettleAsync));
        Assert.All(settled, order => Assert.Equal("confirmed", order.Status));
        await flow.WaitForStockAsync(productId, 95);
        if (fixture.Mode == "local")
        {
            // The drill ends by itself: after its 8 s nothing of the broker is stopped.
            await Eventually.ReachesAsync(BrokerStatesAsync, states => !states.Contains("T"),
                states => $"the broker's processes are still {string.Join(", ", states)}", TimeSpan.FromSeconds(20));
        }

        await AppUnderTest.WaitForHealthyAsync(fixture.App, Cancellation); // every consumer back on the broker
    }

    [Theory]
    [InlineData("0")]
    [InlineData("301")]
    [InlineData("soon")]
    public async Task A_pause_that_is_not_1_to_300_seconds_is_refused(string seconds)
    {
        var refused = await Commands.ExecuteCommandAsync(Resource("eventbus"), PauseDrill.Command, Input("seconds", seconds), Cancellation);

        Assert.False(refused.Success);
        if (fixture.Mode == "local")
        {
            Assert.DoesNotContain("T", await BrokerStatesAsync()); // nothing stopped
        }
    }

    /// <summary>The state letter of each process of the local broker (<c>/proc/{pid}/stat</c>): T when stopped.</summary>
    private async Task<IReadOnlyList<string>> BrokerStatesAsync()
    {
        var states = new List<string>();
        foreach (var pid in await LocalProcesses.OfResourceAsync(fixture.App, "eventbus"))
        {
            var stat = await File.ReadAllTextAsync($"/proc/{pid}/stat", Cancellation);
            states.Add(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0]);
        }

        Assert.True(states.Count > 1, "the broker runs under its start script"); // the tree, not just the script
        return states;
    }

    [Fact]
    public async Task A_killed_worker_replica_is_started_again_by_itself_while_the_other_keeps_settling_orders()
    {
        var replicas = await AppUnderTest.InstancesAsync(fixture.App, "inventory");
        Assert.Equal(2, replicas.Count);
        var victim = replicas.Keys.Order(StringComparer.Ordinal).First();
        var processes = LocalProcesses.Of(replicas[victim]);

        var killed = await Commands.ExecuteCommandAsync(victim, KillDrill.Command, Input("seconds", "5"), Cancellation);
        Assert.True(killed.Success, killed.Message);
        await Eventually.ReachesAsync(() => Task.FromResult(processes.Where(LocalProcesses.IsRunning).ToList()), alive => alive.Count == 0,
            alive => $"{victim}'s processes {string.Join(", ", alive)} still run after SIGKILL", TimeSpan.FromSeconds(10));

        // The other replica settles orders meanwhile; the killed one is back after its 5 s, consuming again.
        var flow = new OrderFlow(fixture);
        Assert.Equal("confirmed", (await flow.PlaceAndSettleAsync(await flow.CreateProductAsync(price: 1m, stock: 1), quantity: 1)).Status);
        await Eventually.ReachesAsync(async () => (await AppUnderTest.InstancesAsync(fixture.App, "inventory"))[victim],
            replica => replica.State?.Text == KnownResourceStates.Running && !processes.Overlaps(LocalProcesses.Of(replica)),
            replica => $"{victim} is {replica.State?.Text} 30 s after it was killed", TimeSpan.FromSeconds(30));
        await AppUnderTest.WaitForHealthyAsync(fixture.App, Cancellation); // two consumers on the queue again
    }

    [Fact]
    public async Task Lagging_replicas_replay_nothing_for_the_seconds_given_and_a_customer_still_reads_an_order_just_placed()
    {
        var lag = await Commands.ExecuteCommandAsync(Resource("postgres"), ReplicaLagDrill.Command, Input("seconds", "6"), Cancellation);
        Assert.True(lag.Success, lag.Message);
        Assert.All(await ReplayStatesAsync(), state => Assert.NotEqual("not paused", state));

        // Read-your-writes holds: the order's consistency token sends the read to the primary.
        var flow = new OrderFlow(fixture);
        var placed = await flow.PlaceAsync(await flow.CreateProductAsync(price: 1m, stock: 1), quantity: 1);
        Assert.Equal(placed.Id, (await flow.GetAsync(placed)).Id);

        await Eventually.ReachesAsync(ReplayStatesAsync, states => states.All(s => s == "not paused"),
            states => $"the replicas' replay is still {string.Join(", ", states)}", TimeSpan.FromSeconds(20));
    }

    private async Task<IReadOnlyList<string>> ReplayStatesAsync()
    {
        var states = new List<string>();
        foreach (var replica in Databases.Replicas)
        {
            await using var connection = await Databases.OpenAsync(fixture.App, replica, "catalogdb");
            await using var command = new Npgsql.NpgsqlCommand("SELECT pg_get_wal_replay_pause_state()", connection);
            states.Add((string)(await command.ExecuteScalarAsync(Cancellation))!);
        }

        return states;
    }

    private IResource Resource(string name) =>
        fixture.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == name);

    private static InteractionInputCollection Input(string name, string value) =>
        new([new InteractionInput { Name = name, Label = name, InputType = InputType.Number, Value = value }]);

    private static InteractionInputCollection Percent(string value) => Input("percent", value);
}
