using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.AppHost.Tests.Operations;

namespace Platform.AppHost.Tests;

/// <summary>Starts the real AppHost in local mode on a state folder of the test's own.</summary>
internal static class AppUnderTest
{
    /// <summary>
    /// Generous: a first start creates every database, replica and queue, and on two cores a dozen .NET processes then
    /// start at once; a fresh CI machine has been seen to need over three minutes.
    /// </summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(6);

    /// <summary>The container runtime's command, as Aspire chooses it.</summary>
    public static string ContainerRuntime => Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") ?? "docker";

    /// <summary>A fresh state folder (0700: the AppHost itself must make it reachable for the postgres account).</summary>
    public static string NewStateDirectory() => Directory.CreateTempSubdirectory("platform-test-").FullName;

    public static Task<DistributedApplication> StartLocalAsync(string stateDirectory, CancellationToken cancellationToken, params string[] args) =>
        StartAsync("local", stateDirectory, cancellationToken, args);

    public static async Task<DistributedApplication> StartAsync(string mode, string stateDirectory, CancellationToken cancellationToken, params string[] args)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Platform_AppHost>(
            // Two read replicas whatever the solution's default: the tests exercise the replicated topology. A read without a
            // consistency token may go to a replica lagging by up to MaxLag: a minute, longer than any test keeps replication
            // paused, so that such a read lands on the paused replica however slow the machine (with the default 5 s it could
            // go to the primary instead).
            // Two order shards too: the tests see customers on both.
            ["--Infrastructure:PostgresReadReplicas=2", "--Orders:Shards=2", "--ReadReplicas:MaxLag=00:01:00", $"--Infrastructure:Mode={mode}",
                $"--Infrastructure:StateDirectory={stateDirectory}", .. args], timeout.Token);
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Aspire.Hosting", LogLevel.Warning)
            .AddFilter("Aspire.Hosting.Dcp", LogLevel.Error)
            .AddFilter("Platform.AppHost.Resources", LogLevel.Warning));
        // Everything the platform's processes write, and the AppHost's own log as a normal run has it, for tests to read.
        var logs = new ResourceLogs();
        builder.Services.AddSingleton(logs);
        builder.Services.AddLogging(logging => logging.AddProvider(logs).AddFilter<ResourceLogs>(null, LogLevel.Trace));
        // PLATFORM_TEST_LOGS=catalog,orders shows those resources' whole console output (to debug a failing test).
        foreach (var resource in (Environment.GetEnvironmentVariable("PLATFORM_TEST_LOGS") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            builder.Services.AddLogging(logging => logging.AddFilter($"Platform.AppHost.Resources.{resource.Trim()}", LogLevel.Trace));
        }

        var app = await builder.BuildAsync(timeout.Token);
        try
        {
            await app.StartAsync(timeout.Token);
            await WaitForHealthyAsync(app, timeout.Token);
            return app;
        }
        catch
        {
            // A platform that did not come up is stopped here: left running, it would slow down (and fail) every later one.
            await LocalProcesses.DisposeAndWaitAsync(app, TimeSpan.FromSeconds(30));
            throw;
        }
    }

    /// <summary>Every resource that has a health check reports healthy.</summary>
    public static async Task WaitForHealthyAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(ResourcesWithHealthChecks(app)
                .Select(name => app.ResourceNotifications.WaitForResourceHealthyAsync(name, cancellationToken)));
        }
        catch (OperationCanceledException e)
        {
            throw new TimeoutException($"Not every resource became healthy: {await DescribeAsync(app)}", e);
        }
    }

    /// <summary>
    /// Starts a stopped resource and waits until it is healthy. Podman, right after stopping a container, sometimes
    /// refuses to start it again at once: up to three tries.
    /// </summary>
    public static async Task StartAgainAsync(this DistributedApplication app, string resource, CancellationToken cancellationToken)
    {
        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        for (var attempt = 1; ; attempt++)
        {
            Assert.True((await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, cancellationToken)).Success);
            try
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, cancellationToken);
                return;
            }
            catch (DistributedApplicationException) when (attempt < 3)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    /// <summary>Each resource instance's state and health, for failure messages.</summary>
    public static async Task<string> DescribeAsync(DistributedApplication app) => string.Join("; ",
        (await InstancesAsync(app, resource: null)).OrderBy(i => i.Key)
            .Select(i => $"{i.Key}={i.Value.State?.Text}/{i.Value.HealthStatus?.ToString() ?? "-"}"));

    /// <summary>
    /// The running instances of <paramref name="resource"/> (every resource when null) by unique name — one per
    /// replica — with their latest snapshots, as the notification service replays them to a new watcher.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, CustomResourceSnapshot>> InstancesAsync(DistributedApplication app, string? resource)
    {
        var instances = new Dictionary<string, CustomResourceSnapshot>();
        using var replayed = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        try
        {
            await foreach (var update in app.ResourceNotifications.WatchAsync(replayed.Token))
            {
                if (resource is null || update.Resource.Name == resource)
                {
                    instances[update.ResourceId] = update.Snapshot;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The replay of the current states is immediate; later updates are not needed.
        }

        return instances;
    }

    public static IEnumerable<string> ResourcesWithHealthChecks(DistributedApplication app) =>
        app.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Where(r => r.Annotations.OfType<HealthCheckAnnotation>().Any())
            .Select(r => r.Name);

    public static async Task<string> ConnectionStringAsync(this DistributedApplication app, string name, CancellationToken cancellationToken) =>
        await app.GetConnectionStringAsync(name, cancellationToken)
            ?? throw new InvalidOperationException($"'{name}' has no connection string.");

    /// <summary>Runs <paramref name="sql"/> on the Postgres primary as the superuser (scratch databases: CREATE, DROP).</summary>
    public static async Task ServerCommandAsync(this DistributedApplication app, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection($"{await app.ConnectionStringAsync("postgres", CancellationToken.None)};Pooling=false");
        await connection.OpenAsync(CancellationToken.None);
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }
}
