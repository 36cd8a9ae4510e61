using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.AppHost.Tests;

[Collection(SharedAppCollection.Name)]
public sealed class InfrastructureTests(SharedAppFixture fixture)
{
    [Fact]
    public void Data_and_generated_passwords_live_in_the_state_folder()
    {
        Assert.SkipWhen(fixture.Mode != "local", "containers keep their data in volumes");
        foreach (var folder in new[] { "postgres/postgres", "postgres/postgres-replica1", "postgres/postgres-replica2", "redis", "eventbus" })
        {
            Assert.True(Directory.Exists(Path.Combine(fixture.StateDirectory, folder)), folder);
        }

        foreach (var secret in new[] { "postgres-password", "redis-password", "eventbus-password" })
        {
            var path = Path.Combine(fixture.StateDirectory, "secrets", secret);
            Assert.True(File.ReadAllText(path).Length >= 24, secret);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public async Task Services_run_with_the_runtime_settings_for_one_shared_machine()
    {
        // docs/start-up.md: one GC heap, no spinning thread pool threads, no profile-guided re-compilation.
        string[] expected = ["DOTNET_gcServer=0", "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0", "DOTNET_TieredPGO=0"];
        foreach (var name in new[] { "identity", "catalog", "orders", "gateway" })
        {
            var processes = await LocalProcesses.OfResourceAsync(fixture.App, name);
            Assert.NotEmpty(processes);
            foreach (var pid in processes)
            {
                var environment = File.ReadAllText($"/proc/{pid}/environ").Split('\0');
                Assert.All(expected, setting => Assert.Contains(setting, environment));
            }
        }
    }

    [Fact]
    public async Task Every_piece_of_infrastructure_comes_up_healthy()
    {
        // The fixture waited for every resource with a health check; this states which ones those are.
        var app = fixture.App;
        var healthy = AppUnderTest.ResourcesWithHealthChecks(app).Order().ToArray();

        Assert.Equal(fixture.ExpectedHealthyResources, healthy);
        foreach (var name in healthy)
        {
            var instances = await AppUnderTest.InstancesAsync(app, name); // a worker runs two replicas
            Assert.NotEmpty(instances);
            Assert.All(instances.Values, instance => Assert.Equal(HealthStatus.Healthy, instance.HealthStatus));
        }
    }
}
