using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.AppHost.Services;

/// <summary>
/// Makes the Stop command work for .NET services on Linux. The orchestrator stops a project by
/// sending SIGINT to its <c>dotnet run</c> host, which does not pass SIGINT on to the service (it
/// expects a terminal to signal the whole process group), so the stop times out. This sends SIGTERM
/// instead, which <c>dotnet run</c> forwards: the service shuts down gracefully, the host exits.
/// </summary>
public static class ProjectStop
{
    public static IResourceBuilder<ProjectResource> WithGracefulStop(this IResourceBuilder<ProjectResource> project)
    {
        if (OperatingSystem.IsWindows())
        {
            return project;
        }

        // The lifecycle commands exist once the resource has been initialised; replace Stop and Restart then.
        return project.OnResourceReady((resource, _, _) =>
        {
            var commands = resource.Annotations.OfType<ResourceCommandAnnotation>().ToArray();
            var start = commands.FirstOrDefault(c => c.Name == KnownResourceCommands.StartCommand);
            Replace(resource, commands, KnownResourceCommands.StopCommand, (context, original) => TerminateAsync(context, original));
            if (start is not null)
            {
                Replace(resource, commands, KnownResourceCommands.RestartCommand, async (context, original) =>
                {
                    var stopped = await TerminateAsync(context, original);
                    return stopped.Success ? await start.ExecuteCommand(context) : stopped;
                });
            }

            return Task.CompletedTask;
        });
    }

    private static void Replace(ProjectResource resource, ResourceCommandAnnotation[] commands, string name,
        Func<ExecuteCommandContext, ResourceCommandAnnotation, Task<ExecuteCommandResult>> execute)
    {
        if (commands.FirstOrDefault(c => c.Name == name && c.DisplayDescription != Marker) is not { } original)
        {
            return; // absent, or already replaced (the resource became ready again after a restart)
        }

        resource.Annotations[resource.Annotations.IndexOf(original)] = new ResourceCommandAnnotation(original.Name, original.DisplayName,
            original.UpdateState, context => execute(context, original), Marker, original.Arguments, original.ConfirmationMessage,
            original.IconName, original.IconVariant, original.IsHighlighted, original.Visibility, original.ValidateArguments);
    }

    private const string Marker = "Stops the service with SIGTERM to its dotnet run host.";

    private static async Task<ExecuteCommandResult> TerminateAsync(ExecuteCommandContext context, ResourceCommandAnnotation original)
    {
        var notifications = context.Services.GetRequiredService<ResourceNotificationService>();
        if (!notifications.TryGetCurrentState(context.ResourceName, out var state)
            || state.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value?.ToString() is not { } value
            || !int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var pid))
        {
            return await original.ExecuteCommand(context);
        }

        try
        {
            using var host = Process.GetProcessById(pid);
            using (var kill = Process.Start("kill", ["-TERM", value]))
            {
                await kill.WaitForExitAsync(context.CancellationToken);
            }

            await host.WaitForExitAsync(context.CancellationToken);
        }
        catch (ArgumentException)
        {
            // already gone
        }

        return CommandResults.Success();
    }
}
