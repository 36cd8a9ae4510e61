using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.AppHost.Operations;
using Platform.AppHost.Tests.Identity;

namespace Platform.AppHost.Tests.Gateway;

/// <summary>An instance going away and coming back while clients keep calling: nobody notices.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class GatewayFailoverTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stopping_a_catalog_instance_under_steady_load_fails_no_request_and_it_rejoins_after_a_restart()
    {
        using var customer = GatewayClient.Create(fixture.LocalApp, await fixture.AccessTokenAsync(IdentityClient.Customer, "catalog"));
        var failures = new List<string>();
        var servedBy = new List<(DateTime At, string Instance)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);

        // Three steady callers, 10 requests a second each: well under the per-caller limit, several in flight at any time.
        var callers = Enumerable.Range(0, 3).Select(async caller =>
        {
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            var i = 0;
            while (await WaitAsync(pace, stop.Token))
            {
                try
                {
                    using var response = await customer.GetAsync($"/api/catalog/products/{1 + (i++ % 20)}", Cancellation);
                    lock (servedBy)
                    {
                        if (response.StatusCode != HttpStatusCode.OK)
                        {
                            failures.Add($"{DateTime.UtcNow:O} {(int)response.StatusCode}");
                        }
                        else
                        {
                            servedBy.Add((DateTime.UtcNow, response.Headers.GetValues(ServiceDefaultsExtensions.ServedByHeader).Single()));
                        }
                    }
                }
                catch (HttpRequestException e)
                {
                    lock (servedBy)
                    {
                        failures.Add($"{DateTime.UtcNow:O} {e.Message}");
                    }
                }
            }
        }).ToArray();

        var commands = fixture.LocalApp.Services.GetRequiredService<ResourceCommandService>();
        // Both instances in rotation first: on a loaded machine a slow /health answer can take one out for a few seconds.
        await Eventually.ReachesAsync(
            () => Task.FromResult(Snapshot(servedBy).Where(s => s.At > DateTime.UtcNow.AddSeconds(-2)).Select(s => s.Instance).Distinct().Count()),
            count => count == 2 && Snapshot(servedBy).Count(s => s.Instance == "catalog-2") >= 5,
            _ => $"not both instances answer through the gateway before the stop: {HealthOfInstances()}",
            TimeSpan.FromSeconds(30));
        Assert.True((await commands.ExecuteCommandAsync("catalog-2", KnownResourceCommands.StopCommand, Cancellation)).Success);
        // Stop asks for a graceful shutdown: the instance finishes what it has in hand, then its process ends.
        await fixture.LocalApp.ResourceNotifications.WaitForResourceAsync("catalog-2", KnownResourceStates.TerminalStates, Cancellation);
        await Task.Delay(TimeSpan.FromSeconds(5), Cancellation);
        var restarting = DateTime.UtcNow;
        await fixture.LocalApp.StartAgainAsync("catalog-2", Cancellation);
        var restarted = DateTime.UtcNow;

        // Back in rotation once the gateway's active health check sees it healthy again (every 2 s).
        await Eventually.ReachesAsync(
            () => Task.FromResult(Snapshot(servedBy).Count(s => s.At > restarted && s.Instance == "catalog-2")),
            count => count >= 5,
            count => $"catalog-2 answered {count} requests after its restart",
            TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Task.WhenAll(callers);

        Assert.Empty(failures);
        var served = Snapshot(servedBy);
        // Out of rotation while it was down: the other instance answered everything in the seconds before the restart began.
        // (Not from the exit notification on: the service process can finish its last responses just after its launcher ends.)
        Assert.DoesNotContain(served, s => s.At > restarting.AddSeconds(-3) && s.At < restarting && s.Instance == "catalog-2");
    }

    [Fact]
    public async Task A_catalog_instance_killed_by_the_drill_is_routed_around_and_back_in_rotation_by_itself()
    {
        var app = fixture.LocalApp;
        using var customer = GatewayClient.Create(app, await fixture.AccessTokenAsync(IdentityClient.Customer, "catalog"));
        var processes = LocalProcesses.Of((await AppUnderTest.InstancesAsync(app, "catalog-2")).Values.Single());
        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        var seconds = new InteractionInputCollection([new InteractionInput { Name = "seconds", Label = "seconds", InputType = InputType.Number, Value = "8" }]);

        // Both instances in rotation first (see above).
        var seen = new HashSet<string>();
        await Eventually.ReachesAsync(async () =>
            {
                using var response = await customer.GetAsync("/api/catalog/products/1", Cancellation);
                if (response.Headers.TryGetValues(ServiceDefaultsExtensions.ServedByHeader, out var by))
                {
                    seen.Add(by.Single());
                }

                return seen.Count;
            },
            count => count == 2, _ => $"not both instances answer through the gateway before the kill: {HealthOfInstances()}", TimeSpan.FromSeconds(30));

        var killed = await commands.ExecuteCommandAsync("catalog-2", KillDrill.Command, seconds, Cancellation);
        Assert.True(killed.Success, killed.Message);
        await Eventually.ReachesAsync(() => Task.FromResult(processes.Where(LocalProcesses.IsRunning).ToList()), alive => alive.Count == 0,
            alive => $"catalog-2's processes {string.Join(", ", alive)} still run after SIGKILL", TimeSpan.FromSeconds(10));

        // Requests that would have gone to it are answered by the other instance (the gateway tries an idempotent one again there).
        for (var i = 0; i < 20; i++)
        {
            using var response = await customer.GetAsync($"/api/catalog/products/{1 + i}", Cancellation);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("catalog", response.Headers.GetValues(ServiceDefaultsExtensions.ServedByHeader).Single());
        }

        // Started again after its seconds, as new processes, and back in rotation.
        await Eventually.ReachesAsync(async () => (await AppUnderTest.InstancesAsync(app, "catalog-2")).Values.Single(),
            instance => instance.State?.Text == KnownResourceStates.Running && !processes.Overlaps(LocalProcesses.Of(instance)),
            instance => $"catalog-2 is {instance.State?.Text} 30 s after it was killed", TimeSpan.FromSeconds(30));
        await Eventually.ReachesAsync(async () =>
            {
                using var response = await customer.GetAsync("/api/catalog/products/1", Cancellation);
                return response.Headers.TryGetValues(ServiceDefaultsExtensions.ServedByHeader, out var by) ? by.Single() : $"{(int)response.StatusCode}";
            },
            instance => instance == "catalog-2", instance => $"catalog-2 not in rotation again (last answer from {instance})", TimeSpan.FromSeconds(30));
    }

    private static readonly string[] CatalogInstances = ["catalog", "catalog-2"];

    /// <summary>What each catalog instance's /health says, asked directly, for a failure's message.</summary>
    private string HealthOfInstances()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return string.Join("; ", CatalogInstances.Select(instance =>
        {
            try
            {
                using var response = http.GetAsync(new Uri(fixture.App.GetEndpoint(instance, "http"), "/health")).GetAwaiter().GetResult();
                return $"{instance} /health {(int)response.StatusCode}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return $"{instance} /health {e.Message}";
            }
        }));
    }

    private static List<(DateTime At, string Instance)> Snapshot(List<(DateTime At, string Instance)> servedBy)
    {
        lock (servedBy)
        {
            return [.. servedBy];
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
