using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.AppHost.Infrastructure.Local;
using Platform.AppHost.Services;

namespace Platform.AppHost.Operations;

/// <summary>
/// A chaos drill on the dashboard: one replica is killed — <c>SIGKILL</c>, no shutdown, no acknowledgement, its open
/// transaction dropped with its connection, as when a node fails — and started again after some seconds. The other
/// replicas go on; the messages the killed one held are delivered again, and the gateway routes around a killed API
/// instance (an idempotent request it had in hand is tried again on another).
/// </summary>
public static class KillDrill
{
    public const string Command = "kill-replica";

    private const int MaxSeconds = 300;

    /// <summary>
    /// Adds <see cref="Command"/> (argument <c>seconds</c> until the restart, default 10) to each replica, and to each of a
    /// service's instances (<see cref="ServiceResources.WithInstances"/>: call it after) — run mode only.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithKillDrill(this IResourceBuilder<ProjectResource> service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (service.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            foreach (var instance in service.Instances())
            {
                AddCommand(instance);
            }
        }

        return service;
    }

    private static void AddCommand(IResourceBuilder<ProjectResource> resource) =>
        resource.WithCommand(Command, "Kill (drill)", async context =>
        {
            if (DrillCommands.Seconds(context.Arguments, fallback: 10, MaxSeconds) is not { } seconds)
            {
                return CommandResults.Failure($"The replica starts again after 1 to {MaxSeconds} seconds.");
            }

            var notifications = context.Services.GetRequiredService<ResourceNotificationService>();
            if (!notifications.TryGetCurrentState(context.ResourceName, out var current)
                || current.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is not { } pid)
            {
                return CommandResults.Failure($"{context.ResourceName} has no process to kill.");
            }

            string[] tree = [.. LocalProcess.Tree(Convert.ToInt32(pid, CultureInfo.InvariantCulture)).Select(p => $"{p}")];
            await LocalProcess.RunAsync("kill", ["-KILL", .. tree], context.CancellationToken);

            var commands = context.Services.GetRequiredService<ResourceCommandService>();
            var stopping = context.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            var replica = context.ResourceName;
            var logger = context.Logger;
            _ = Task.Run(async () =>
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(seconds), stopping);
                    var started = await commands.ExecuteCommandAsync(replica, KnownResourceCommands.StartCommand, stopping);
                    if (!started.Success)
                    {
                        logger.LogWarning("The drill could not start {Replica} again: {Message}", replica, started.Message);
                    }
                }
                catch (OperationCanceledException)
                {
                    // the platform stops: nothing to start again
                }
            }, CancellationToken.None);
            return CommandResults.Success($"{replica} killed; it starts again in {seconds} s.");
        }, new CommandOptions
        {
            Description = "Kills this replica (SIGKILL: no shutdown) and starts it again after some seconds.",
            IconName = "Flash",
            ConfirmationMessage = "Kill this replica? It starts again after the seconds given.",
            Arguments = [DrillCommands.SecondsInput("Seconds until it starts again", 10)],
            UpdateState = DrillCommands.WhileRunning,
        });
}
