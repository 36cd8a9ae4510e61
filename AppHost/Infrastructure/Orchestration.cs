namespace Platform.AppHost.Infrastructure;

/// <summary>How the orchestrator itself runs the platform on one machine.</summary>
public static class Orchestration
{
    /// <summary>
    /// Resources are seen ready as soon as they are (<see cref="PromptHealthChecks"/>), and the orchestrator (DCP) runs
    /// no watcher process per executable: 18 of them took ~370 MiB. They only matter if the orchestrator itself is
    /// killed outright; it stops every process it started when the AppHost stops or dies (see KilledAppHostTests).
    /// </summary>
    public static IDistributedApplicationBuilder ConfigureOrchestration(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.ExecutionContext.IsRunMode)
        {
            builder.Services.AddPromptHealthChecks();
            Environment.SetEnvironmentVariable("DCP_DISABLE_MONITOR_PROCESS", "true"); // DCP copies the AppHost's environment
        }

        return builder;
    }
}
