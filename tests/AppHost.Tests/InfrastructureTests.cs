using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
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
            foreach (var environment in await LocalProcesses.EnvironmentsOfAsync(fixture.App, name))
            {
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

    [Fact]
    public void Services_listen_on_ports_below_the_ephemeral_range()
    {
        // Chosen when the app model is built, bound when the service starts: a port of the ephemeral range could have
        // become some outgoing connection's local port by then (a service that failed to start: address in use).
        var ephemeralStart = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0], CultureInfo.InvariantCulture);
        var ports = fixture.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ProjectResource>()
            .SelectMany(r => r.Annotations.OfType<EndpointAnnotation>().Where(e => e.Name == "http" && !e.IsProxied).Select(e => (r.Name, e.Port)))
            .ToList();

        Assert.Contains(ports, p => p.Name == "orders-2");
        Assert.All(ports, p => Assert.True(p.Port < ephemeralStart, $"{p.Name} listens on {p.Port}, in the ephemeral range from {ephemeralStart}"));
    }

    [Fact]
    public async Task No_local_server_or_service_listens_beyond_loopback()
    {
        Assert.SkipWhen(fixture.Mode != "local", "containers publish their ports through the container runtime");
        var exposed = (await LocalProcesses.OfAsync(fixture.App))
            .SelectMany(pid => LocalProcesses.ListeningAddresses(pid).Select(address => (pid, address)))
            .Where(listener => !IsLoopback(listener.address[..listener.address.LastIndexOf(':')]))
            .Select(listener => $"{listener.address} ({LocalProcesses.Describe(listener.pid)})")
            .ToList();

        Assert.Empty(exposed);
    }

    [Fact]
    public async Task The_clean_script_refuses_while_the_app_runs_and_then_deletes_its_data_inside_and_outside_the_state_folder()
    {
        Assert.SkipWhen(fixture.Mode != "local", "the platform's own state folder is in use by local servers only in local mode");
        Assert.SkipUnless(Environment.UserName == "root", "only root's platform keeps data under /var/lib/platform");
        var running = await CleanAsync(fixture.StateDirectory);
        Assert.NotEqual(0, running.ExitCode);
        Assert.Contains("still running", running.Output, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(fixture.StateDirectory, "secrets")));

        // A stopped platform's state as the AppHost leaves it when the postgres account cannot reach the checkout.
        var stopped = AppUnderTest.NewStateDirectory();
        var key = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(5));
        await File.WriteAllTextAsync(Path.Combine(stopped, "id"), key, TestContext.Current.CancellationToken);
        Directory.CreateDirectory(Path.Combine(stopped, "secrets"));
        var outside = $"/var/lib/platform/postgres-{key}";
        Directory.CreateDirectory(Path.Combine(outside, "postgres"));

        var clean = await CleanAsync(stopped);

        Assert.True(clean.ExitCode == 0, clean.Output);
        Assert.False(Directory.Exists(stopped));
        Assert.False(Directory.Exists(outside));
    }

    private static bool IsLoopback(string address)
    {
        var ip = System.Net.IPAddress.Parse(address);
        return System.Net.IPAddress.IsLoopback(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip);
    }

    private static async Task<(int ExitCode, string Output)> CleanAsync(string stateDirectory)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "eng", "clean.sh")))
        {
            root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new InvalidOperationException("eng/clean.sh not found above the test's folder");
        }

        return await Commands.RunAsync("bash", [Path.Combine(root, "eng", "clean.sh"), stateDirectory]);
    }
}
