using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.Bench;

/// <summary>Starts the real AppHost in local mode, quietly, and measures how long until every resource is healthy.</summary>
internal static class BenchApp
{
    /// <summary>The start-up timeline of the last start.</summary>
    public static StartupTimeline? LastTimeline { get; private set; }

    /// <summary>CPU time (ms) each process used from the last start until every resource was healthy.</summary>
    public static IReadOnlyDictionary<string, long>? LastStartupCpu { get; private set; }

    /// <param name="stateDirectory">The state folder (cold when empty).</param>
    /// <param name="withDashboard">Whether to run the dashboard too, as <c>eng/run.sh</c> does.</param>
    /// <param name="configure">Changes to the app model before it starts (e.g. a service setting).</param>
    /// <param name="arguments">More AppHost arguments (e.g. <c>--Payments:FailureRate=0</c>).</param>
    public static async Task<(TimeSpan Elapsed, DistributedApplication App)> StartAsync(string stateDirectory, bool withDashboard,
        Action<IDistributedApplicationTestingBuilder>? configure = null, params string[] arguments)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Platform_AppHost>(
            ["--Infrastructure:Mode=local", $"--Infrastructure:StateDirectory={stateDirectory}", .. arguments],
            (options, _) => options.DisableDashboard = !withDashboard);
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Aspire.Hosting", LogLevel.Warning)
            .AddFilter("Aspire.Hosting.Dcp", LogLevel.Error)
            .AddFilter("Platform.AppHost.Resources", LogLevel.None)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None)); // "not yet" during start-up is expected
        configure?.Invoke(builder);
        var app = await builder.BuildAsync();
        using var watching = new CancellationTokenSource();
        var timeline = StartupTimeline.Watch(app, watching.Token);
        var ownCpuBefore = ProcessTree.CpuMillisecondsWithEndedChildren().ByProcess.GetValueOrDefault(ProcessTree.ThisProcess);
        var clock = Stopwatch.StartNew();
        await app.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var resources = app.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Where(r => r.Annotations.OfType<HealthCheckAnnotation>().Any());
        await Task.WhenAll(resources.Select(r => app.ResourceNotifications.WaitForResourceHealthyAsync(r.Name, timeout.Token)));
        var elapsed = clock.Elapsed;
        var cpu = new Dictionary<string, long>(ProcessTree.CpuMillisecondsWithEndedChildren().ByProcess);
        cpu[ProcessTree.ThisProcess] = cpu.GetValueOrDefault(ProcessTree.ThisProcess) - ownCpuBefore;
        LastStartupCpu = cpu;
        await watching.CancelAsync();
        LastTimeline = timeline;
        return (elapsed, app);
    }
}
