namespace Platform.AppHost.Services;

/// <summary>
/// Adds a .NET project that runs as its build output. Aspire starts a project through <c>dotnet run --no-build</c>:
/// one more host process per instance (memory, start time), and when that host dies the service it started is
/// orphaned — it keeps consuming and outlives the platform. Running the built executable itself makes the service the
/// orchestrator's own child, stopped with it whatever dies first, and it still is a project resource (endpoints,
/// launch profile, service discovery, commands, replicas). An IDE debug session and a missing build output fall back
/// to <c>dotnet run</c>.
/// </summary>
public static class BuiltProject
{
    public static IResourceBuilder<ProjectResource> AddBuiltProject<TProject>(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, bool excludeLaunchProfile = false)
        where TProject : IProjectMetadata, new()
    {
        var project = builder.AddProject<TProject>(name, options => options.ExcludeLaunchProfile = excludeLaunchProfile);
        if (builder.ExecutionContext.IsRunMode)
        {
            // Aspire has every process export its metrics each second; from a dozen processes that kept the dashboard
            // and the services busy at idle. Every 5 s still draws the dashboard's graphs. (The runtime settings for
            // one shared machine: Orchestration.)
            project.WithEnvironment("OTEL_METRIC_EXPORT_INTERVAL", "5000");
        }

        if (!builder.ExecutionContext.IsRunMode || Environment.GetEnvironmentVariable("DEBUG_SESSION_PORT") is { Length: > 0 })
        {
            return project;
        }

        var projectPath = new TProject().ProjectPath;
        var executable = ExecutableOf(projectPath);
        return File.Exists(executable)
            ? project.WithAnnotation(new ExecutableAnnotation { Command = executable, WorkingDirectory = Path.GetDirectoryName(projectPath)! },
                ResourceAnnotationMutationBehavior.Replace)
            : project;
    }

    /// <summary>
    /// Where the build puts the executable of <paramref name="projectPath"/> (a project file): its <c>bin/</c> folder with
    /// the running program's own <c>&lt;configuration&gt;/&lt;framework&gt;</c>, the way project references are built.
    /// </summary>
    public static string ExecutableOf(string projectPath)
    {
        var output = Path.GetRelativePath(Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..")), AppContext.BaseDirectory);
        var executable = Path.Combine(Path.GetDirectoryName(projectPath)!, "bin", output, Path.GetFileNameWithoutExtension(projectPath));
        return OperatingSystem.IsWindows() ? executable + ".exe" : executable;
    }
}
