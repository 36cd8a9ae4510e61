using Microsoft.Extensions.DependencyInjection;
using Platform.AppHost.Operations;

namespace Platform.AppHost.Tests.Operations;

/// <summary>The load generator on the dashboard: started, paced and stopped by its commands, its orders counted where they land.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class LoadGeneratorTests(SharedAppFixture fixture)
{
    private const string Generator = "loadgen";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private ResourceCommandService Commands => fixture.LocalApp.Services.GetRequiredService<ResourceCommandService>();

    [Fact]
    public async Task It_starts_from_the_dashboard_orders_at_the_rate_set_pauses_at_zero_and_stops_with_nothing_left_running()
    {
        var app = fixture.LocalApp;
        Assert.Equal(KnownResourceStates.NotStarted, (await AppUnderTest.InstancesAsync(app, Generator)).Values.Single().State?.Text); // not with the platform
        Assert.False((await Commands.ExecuteCommandAsync(Generator, LoadGenerator.RateCommand, Rate("51"), Cancellation)).Success);
        Assert.True((await Commands.ExecuteCommandAsync(Generator, LoadGenerator.RateCommand, Rate("5"), Cancellation)).Success);

        var before = await PlacedAsync();
        Assert.True((await Commands.ExecuteCommandAsync(Generator, KnownResourceCommands.StartCommand, Cancellation)).Success);
        try
        {
            // Its orders reach the orders service through the gateway, as the demo customer's.
            await Eventually.ReachesAsync(PlacedAsync, placed => placed - before >= 10,
                placed => $"{placed - before} orders placed 45 s after the generator started at 5/s; it wrote: {GeneratorLog()}", TimeSpan.FromSeconds(45));

            // 0 pauses it: nothing more arrives once the visits in flight are done.
            Assert.True((await Commands.ExecuteCommandAsync(Generator, LoadGenerator.RateCommand, Rate("0"), Cancellation)).Success);
            await Task.Delay(TimeSpan.FromSeconds(3), Cancellation);
            var paused = await PlacedAsync();
            await Task.Delay(TimeSpan.FromSeconds(3), Cancellation);
            Assert.Equal(paused, await PlacedAsync());
        }
        finally
        {
            var processes = await LocalProcesses.OfResourceAsync(app, Generator);
            Assert.True((await Commands.ExecuteCommandAsync(Generator, KnownResourceCommands.StopCommand, Cancellation)).Success);
            await app.ResourceNotifications.WaitForResourceAsync(Generator, KnownResourceStates.TerminalStates, Cancellation);
            await Eventually.ReachesAsync(() => Task.FromResult(processes.Where(LocalProcesses.IsRunning).ToList()), alive => alive.Count == 0,
                alive => $"the generator's processes {string.Join(", ", alive)} outlived its stop", TimeSpan.FromSeconds(10));
        }
    }

    private string GeneratorLog() => string.Join('\n', fixture.App.Services.GetRequiredService<ResourceLogs>().Lines
        .Where(l => l.Source.StartsWith(Generator, StringComparison.Ordinal)).Select(l => l.Line).TakeLast(30));

    private async Task<double> PlacedAsync() => (await ServiceMetrics.ScrapeAsync(fixture.App, "orders")).Sum("orders_placed_total");

    private static InteractionInputCollection Rate(string value) =>
        new([new InteractionInput { Name = LoadGenerator.RateName, Label = "rate", InputType = InputType.Number, Value = value }]);
}
