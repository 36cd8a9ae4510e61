namespace Platform.AppHost.Infrastructure.Local;

/// <summary>
/// The account a local server runs under. PostgreSQL refuses to run as root, so when the AppHost
/// is root the server drops to an unprivileged system account with <c>setpriv</c>, which execs in
/// place: the orchestrator's PID is the server's, so its signals reach the server directly.
/// </summary>
[UnsupportedOn("windows")]
internal sealed class ServiceAccount
{
    private ServiceAccount(string? userName) => UserName = userName;

    /// <summary>The account to switch to, or null when the AppHost already runs unprivileged.</summary>
    public string? UserName { get; }

    public static ServiceAccount For(string systemUser, string debianPackage)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return new ServiceAccount(null);
        }

        if (!File.ReadLines("/etc/passwd").Any(line => line.StartsWith(systemUser + ":", StringComparison.Ordinal)))
        {
            throw LocalBinary.Missing($"the '{systemUser}' system user", debianPackage);
        }

        LocalBinary.Find("setpriv", "util-linux", ["/usr/bin/setpriv"]);
        return new ServiceAccount(systemUser);
    }

    /// <summary>The command line that runs <paramref name="binary"/> under this account.</summary>
    public (string Command, string[] Arguments) Wrap(string binary, params string[] arguments) => UserName is null
        ? (binary, arguments)
        : ("setpriv", [$"--reuid={UserName}", $"--regid={UserName}", "--init-groups", "--reset-env", binary, .. arguments]);

    public Task<string> RunAsync(string binary, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var (command, wrapped) = Wrap(binary, [.. arguments]);
        return LocalProcess.RunAsync(command, wrapped, cancellationToken);
    }

    /// <summary>Creates <paramref name="path"/> owned by this account, mode 0700, with every parent traversable.</summary>
    public async Task CreateOwnedDirectoryAsync(string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (UserName is not null)
        {
            await LocalProcess.RunAsync("chown", ["-R", $"{UserName}:", path], cancellationToken);
        }
    }

    /// <summary>
    /// Whether this account can reach <paramref name="path"/>: every existing parent must be
    /// world-traversable when the server runs as another user (a checkout under /root is not).
    /// </summary>
    public bool CanTraverse(string path)
    {
        if (UserName is null)
        {
            return true;
        }

        for (var directory = Path.GetDirectoryName(Path.GetFullPath(path)); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (Directory.Exists(directory) && !File.GetUnixFileMode(directory).HasFlag(UnixFileMode.OtherExecute))
            {
                return false;
            }
        }

        return true;
    }
}
