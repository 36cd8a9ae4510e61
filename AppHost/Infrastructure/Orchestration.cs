namespace Platform.AppHost.Infrastructure;

/// <summary>How the orchestrator itself runs the platform on one machine.</summary>
public static class Orchestration
{
    /// <summary>
    /// Every .NET process on one machine (the services, the dashboard) shares a few cores with a dozen others, so in
    /// local runs each gets one GC heap (workstation GC), thread pool threads that sleep instead of spinning for work,
    /// and no profile-guided re-compilation of hot code (docs/start-up.md, "A quieter idle platform"). Deployments keep
    /// the runtime's defaults.
    /// </summary>
    private static readonly (string Name, string Value)[] SharedMachineRuntime =
        [("DOTNET_gcServer", "0"), ("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit", "0"), ("DOTNET_TieredPGO", "0")];

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
            // DCP copies the AppHost's environment to everything it starts.
            Environment.SetEnvironmentVariable("DCP_DISABLE_MONITOR_PROCESS", "true");
            foreach (var (name, value) in SharedMachineRuntime.Where(setting => Environment.GetEnvironmentVariable(setting.Name) is null))
            {
                Environment.SetEnvironmentVariable(name, value); // unless set already: DOTNET_TieredPGO=1 eng/run.sh
            }
        }

        return builder;
    }
}
