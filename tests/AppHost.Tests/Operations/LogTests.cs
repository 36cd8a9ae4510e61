using Microsoft.Extensions.DependencyInjection;
using Platform.AppHost.Tests.Identity;
using Platform.AppHost.Tests.Services;

namespace Platform.AppHost.Tests.Operations;

/// <summary>What the platform's logs say, read from everything its processes wrote during the run (<see cref="ResourceLogs"/>).</summary>
[Collection(SharedAppCollection.Name)]
public sealed class LogTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private ResourceLogs Logs => fixture.App.Services.GetRequiredService<ResourceLogs>();
//#if (workers)

    [Fact]
    public async Task Each_step_of_an_order_is_one_log_event_naming_the_order_in_the_service_that_took_it()
    {
        var flow = new OrderFlow(fixture);
        var productId = await flow.CreateProductAsync(price: 3m, stock: 5);
        var placed = await flow.PlaceAsync(productId, quantity: 2);
        Assert.Equal("confirmed", (await flow.SettleAsync(placed)).Status);

        (string Service, string Text)[] steps =
        [
            ("orders", $"Order {placed.Id} placed: 2 items"),
            ("inventory", $"Stock reserved for order {placed.Id}: 6"),
            ("payments", $"Payment for order {placed.Id} charged: 6"),
            ("orders", $"Order {placed.Id} settled: confirmed"),
        ];
        // Each once, in the log of the service that took the step (its lines reach the test host a moment later).
        await Eventually.ReachesAsync(() => Task.FromResult(steps.Select(step => Logs.Lines.Count(l => l.Line.Contains(step.Text, StringComparison.Ordinal))).ToList()),
            counts => counts.All(c => c == 1),
            counts => $"log events of order {placed.Id}: {string.Join(", ", steps.Zip(counts, (s, c) => $"'{s.Text}' {c}×"))}", TimeSpan.FromSeconds(15));
        foreach (var (service, text) in steps)
        {
            var (source, _) = Logs.Lines.Single(l => l.Line.Contains(text, StringComparison.Ordinal));
            Assert.StartsWith(service, source, StringComparison.Ordinal);
        }
    }
//#endif

    [Fact]
    public async Task No_log_holds_a_generated_secret_or_a_token()
    {
        // Tokens in use (issued, sent, validated) and logins made before the logs are read.
        var token = await fixture.AccessTokenAsync(IdentityClient.Customer, "orders");
        using (var orders = new ServiceClient(fixture.App, "orders", token))
        {
            using var response = await orders.GetAsync("/orders");
            response.EnsureSuccessStatusCode();
        }

        var secrets = new Dictionary<string, string> { ["a customer's access token"] = token, ["its signature"] = token.Split('.')[2] };
        foreach (var parameter in fixture.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>().Where(p => p.Secret))
        {
            if (await parameter.GetValueAsync(Cancellation) is { Length: >= 8 } value)
            {
                secrets[parameter.Name] = value;
            }
        }

        var lines = Logs.Lines;
        Assert.Contains(lines, l => l.Source.StartsWith("identity", StringComparison.Ordinal)); // the processes' output is there to search
        Assert.True(secrets.Count > 10, $"only {secrets.Count} secrets to look for");
        var leaks = secrets.SelectMany(secret => lines.Where(l => l.Line.Contains(secret.Value, StringComparison.Ordinal))
            .Select(l => $"{secret.Key} in the log of {l.Source}")).Distinct().ToList();
        Assert.True(leaks.Count == 0, string.Join("\n", leaks));
    }
}
