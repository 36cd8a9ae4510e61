using System.Diagnostics;
using Platform.AppHost.Services;

namespace Platform.AppHost.Tests;

/// <summary>
/// Nothing the platform starts outlives it, whatever dies first: a service's process, then the AppHost itself, killed
/// outright (SIGKILL, no shutdown of their own), as a crash or an OOM kill would end them.
/// </summary>
public sealed class KilledAppHostTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Killing_a_service_or_the_AppHost_leaves_no_process_behind()
    {
        Assert.SkipWhen(SharedAppFixture.TestMode != "local", "this test runs in local mode only");
        var stateDirectory = AppUnderTest.NewStateDirectory();
        // Every process started for this run inherits the marker (servers that reset their environment run from the state folder).
        var marker = $"PLATFORM_KILL_PROBE={Guid.NewGuid():N}";
        using var appHost = StartAppHost(stateDirectory, marker);
        try
        {
            await WaitUntilStartedAsync(appHost);
            var started = await SettledAsync(() => LocalProcesses.WithEnvironment(marker).Union(LocalProcesses.WorkingIn(stateDirectory)).ToHashSet());
            foreach (var expected in new[] { ".Gateway", ".Catalog", ".Identity", "postgres", "redis-server", "beam.smp", "start-apiserver" })
            {
                Assert.Contains(started, pid => LocalProcesses.Describe(pid).Contains(expected, StringComparison.Ordinal));
            }

            // And no watcher process per executable (DCP's monitor-process, ~20 MiB each): what follows passes without them.
            Assert.DoesNotContain(started, pid => LocalProcesses.Describe(pid).Contains("monitor-process", StringComparison.Ordinal));

            // The process the orchestrator started for one catalog instance (whatever runs the service), killed: nothing of
            // that instance may keep running (a launcher's child would go on serving and consuming, untracked).
            var catalog = started.First(pid => LocalProcesses.Describe(pid).Contains(".Catalog", StringComparison.Ordinal));
            var launched = LocalProcesses.StartedByOrchestrator(catalog);
            var instance = LocalProcesses.Tree(launched);
            LocalProcesses.Kill(launched);
            await AssertEndedAsync(instance, "the process the orchestrator started for a catalog instance was killed");

            appHost.Kill();
            await appHost.WaitForExitAsync(Cancellation);
            await AssertEndedAsync(started, "the AppHost was killed");
        }
        finally
        {
            appHost.Kill(entireProcessTree: true);
            foreach (var pid in LocalProcesses.WithEnvironment(marker).Union(LocalProcesses.WorkingIn(stateDirectory)))
            {
                LocalProcesses.Kill(pid);
            }

            Directory.Delete(stateDirectory, recursive: true);
        }
    }

    private static async Task AssertEndedAsync(IEnumerable<int> processes, string after)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        List<int> alive;
        while ((alive = [.. processes.Where(LocalProcesses.IsAlive)]).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, Cancellation);
        }

        Assert.True(alive.Count == 0, $"Still running a minute after {after}:\n" + string.Join("\n", alive.Select(LocalProcesses.Describe)));
    }

    /// <summary>The AppHost's own executable, as <c>eng/run.sh</c> would run it (dashboard included), on free ports.</summary>
    private static Process StartAppHost(string stateDirectory, string marker)
    {
        // The AppHost's metadata names its folder, not its project file.
        var project = Directory.GetFiles(Projects.Platform_AppHost.ProjectPath, "*.csproj").Single();
        var start = new ProcessStartInfo(BuiltProject.ExecutableOf(project),
            ["--Infrastructure:Mode=local", $"--Infrastructure:StateDirectory={stateDirectory}", "--DcpPublisher:RandomizePorts=true"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                ["DOTNET_ENVIRONMENT"] = "Development",
                ["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true",
                ["ASPNETCORE_URLS"] = $"http://localhost:{Ports.Free()}",
                ["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://localhost:{Ports.Free()}",
                ["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://localhost:{Ports.Free()}",
                [marker.Split('=')[0]] = marker.Split('=')[1],
            },
        };
        return Process.Start(start)!;
    }

    /// <summary>Until the AppHost says where the gateway is: it is ready, and so is what it waits for.</summary>
    private static async Task WaitUntilStartedAsync(Process appHost)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(AppUnderTest.StartTimeout);
        var errors = appHost.StandardError.ReadToEndAsync(timeout.Token);
        var output = new System.Text.StringBuilder();
        while (await appHost.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            output.AppendLine(line);
            if (line.Contains("Gateway (APIs, sign-in) at", StringComparison.Ordinal))
            {
                // Keep reading, or a full pipe would block the AppHost's logging.
                _ = DrainAsync(appHost.StandardOutput);
                return;
            }
        }

        Assert.Fail($"The AppHost ended before its gateway was ready:\n{output}{await errors}");
    }

    private static async Task DrainAsync(StreamReader reader)
    {
        try
        {
            while (await reader.ReadLineAsync() is not null)
            {
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // the AppHost is gone
        }
    }

    /// <summary>The processes once no new one has appeared for five seconds (the workers start after the gateway).</summary>
    private static async Task<HashSet<int>> SettledAsync(Func<HashSet<int>> read)
    {
        var current = read();
        for (var quiet = 0; quiet < 10; quiet++)
        {
            await Task.Delay(500, Cancellation);
            var next = read();
            if (!next.SetEquals(current))
            {
                (current, quiet) = (next, -1);
            }
        }

        return current;
    }
}
