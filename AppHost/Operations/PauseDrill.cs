using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.AppHost.Infrastructure.Local;

namespace Platform.AppHost.Operations;

/// <summary>
/// A chaos drill on the dashboard: the resource freezes for some seconds and then goes on — its process stopped
/// (<c>SIGSTOP</c>, then <c>SIGCONT</c>), or its container paused and unpaused. Connections stay open and nothing
/// answers: what a stalled broker or a long garbage-collection pause looks like to its clients, unlike a stop.
/// </summary>
public static class PauseDrill
{
    public const string Command = "pause";

    private const int MaxSeconds = 300;

    /// <summary>Adds <see cref="Command"/> (argument <c>seconds</c>, default 30) to <paramref name="resource"/> (run mode only).</summary>
    public static IResourceBuilder<T> WithPauseDrill<T>(this IResourceBuilder<T> resource) where T : IResource
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (!resource.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return resource;
        }

        var runtime = resource.ApplicationBuilder.Configuration["ASPIRE_CONTAINER_RUNTIME"] ?? "docker";
        return resource.WithCommand(Command, "Pause (drill)", async context =>
        {
            if (DrillCommands.Seconds(context.Arguments, fallback: 30, MaxSeconds) is not { } seconds)
            {
                return CommandResults.Failure($"The pause lasts 1 to {MaxSeconds} seconds.");
            }

            var notifications = context.Services.GetRequiredService<ResourceNotificationService>();
            if (!notifications.TryGetCurrentState(context.ResourceName, out var current))
            {
                return CommandResults.Failure($"{context.ResourceName} is not running.");
            }

            var property = current.Snapshot.Properties.ToDictionary(p => p.Name, p => p.Value);
            (string File, string[] Pause, string[] Resume) f;
            if (property.GetValueOrDefault("container.id") is string container)
            {
                f = (runtime, ["pause", container], ["unpause", container]);
            }
            else if (property.GetValueOrDefault("executable.pid") is { } pid)
            {
                // The process and what it started: the broker runs as a child of its start script.
                string[] tree = [.. LocalProcess.Tree(Convert.ToInt32(pid, CultureInfo.InvariantCulture)).Select(p => $"{p}")];
                f = ("kill", ["-STOP", .. tree], ["-CONT", .. tree]);
            }
            else
            {
                return CommandResults.Failure($"{context.ResourceName} has no process or container to pause.");
            }

            await LocalProcess.RunAsync(f.File, f.Pause, context.CancellationToken);
            var stopping = context.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            // Goes on after the pause, and at once when the platform stops first: nothing is left frozen.
            _ = Task.Delay(TimeSpan.FromSeconds(seconds), stopping).ContinueWith(
                _ => LocalProcess.RunAsync(f.File, f.Resume, CancellationToken.None), TaskScheduler.Default).Unwrap();
            return CommandResults.Success($"{context.ResourceName} paused for {seconds} s.");
        }, new CommandOptions
        {
            Description = "Freezes the resource for some seconds (connections stay open, nothing answers), then lets it go on.",
            IconName = "Pause",
            Arguments = [DrillCommands.SecondsInput("Seconds", 30)],
            UpdateState = DrillCommands.WhileRunning,
        });
    }
}
