namespace Platform.AppHost.Tests.Deployment;

/// <summary>
/// A service's image run by podman as the Kubernetes output's pods run it (read-only root file system with a writable
/// <c>/tmp</c>, every capability dropped, no privilege escalation, the image's own user), on the host's network so that it
/// reaches the running platform's loopback addresses; disposing removes the container.
/// </summary>
internal sealed class RunningImage : IAsyncDisposable
{
    /// <summary>What is the service process's own rather than its configuration: the container has its own.</summary>
    private static readonly HashSet<string> ProcessVariables =
    [
        "PATH", "HOME", "HOSTNAME", "PWD", "OLDPWD", "SHLVL", "USER", "LOGNAME", "TERM", "TMPDIR", "_",
        "DOTNET_ROOT", "DOTNET_HOST_PATH", "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS",
        "Metrics__Port", // the process's own listener: on the host's network the container would collide with it
    ];

    private readonly string _name;

    private RunningImage(string name, int pid)
    {
        _name = name;
        Pid = pid;
    }

    /// <summary>The container's main process, as the host sees it.</summary>
    public int Pid { get; }

    /// <summary>
    /// Runs <paramref name="repository"/>'s image of <paramref name="images"/> with a service process's
    /// <paramref name="environment"/> (<c>NAME=value</c>) as its configuration, and <paramref name="overrides"/>.
    /// </summary>
    public static async Task<RunningImage> StartAsync(BuiltImages images, string repository, IEnumerable<string> environment,
        params (string Name, string Value)[] overrides)
    {
        var name = $"image-test-{repository}-{Guid.NewGuid():N}"[..32];
        var variables = environment.Where(v => v.Contains('=', StringComparison.Ordinal)).Select(v => (Name: v[..v.IndexOf('=', StringComparison.Ordinal)], Value: v[(v.IndexOf('=', StringComparison.Ordinal) + 1)..]))
            .Where(v => !ProcessVariables.Contains(v.Name) && !v.Name.StartsWith("DOTNET_", StringComparison.Ordinal))
            .Concat(overrides);
        var (exitCode, output) = await Commands.RunAsync("podman",
            ["run", "--detach", "--name", name, "--tls-verify=false", "--network", "host",
             "--read-only", "--tmpfs", "/tmp", "--cap-drop", "all", "--security-opt", "no-new-privileges",
             // podman's default limits are above what a machine like CI's lets a process have (runc: operation not permitted)
             "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
             .. variables.SelectMany(v => new[] { "--env", $"{v.Name}={v.Value}" }),
             $"{images.Registry}/{repository}:{images.Tag}"]);
        Assert.True(exitCode == 0, $"podman run {repository} failed: {output}");

        (exitCode, output) = await Commands.RunAsync("podman", ["inspect", "--format", "{{.State.Pid}}", name]);
        var container = new RunningImage(name, exitCode == 0 && int.TryParse(output.Trim(), out var pid) ? pid : 0);
        if (container.Pid == 0)
        {
            var logs = await container.LogsAsync();
            await container.DisposeAsync();
            Assert.Fail($"{repository}'s container is not running: {output}\n{logs}");
        }

        return container;
    }

    /// <summary>The real user id of the container's main process.</summary>
    public int UserId() => int.Parse(File.ReadAllLines($"/proc/{Pid}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t')[1],
        System.Globalization.CultureInfo.InvariantCulture);

    public async Task<string> LogsAsync() => (await Commands.RunAsync("podman", ["logs", "--tail", "60", _name])).Output;

    public async ValueTask DisposeAsync() => await Commands.RunAsync("podman", ["rm", "--force", "--time", "5", _name]);
}
