using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.AppHost.Tests;

/// <summary>What the orchestrator started for the local infrastructure, read from /proc.</summary>
internal static class LocalProcesses
{
    /// <summary>The PIDs of every executable and project resource (each replica) and of all their descendants.</summary>
    public static async Task<IReadOnlySet<int>> OfAsync(DistributedApplication app) =>
        Trees((await AppUnderTest.InstancesAsync(app, resource: null)).Values);

    /// <summary>The PIDs of one resource's processes (every replica) and of all their descendants.</summary>
    public static async Task<IReadOnlySet<int>> OfResourceAsync(DistributedApplication app, string resource) =>
        Trees((await AppUnderTest.InstancesAsync(app, resource)).Values);

    /// <summary>The environment (<c>NAME=value</c> entries) of each process of one resource (every replica); there is at least one.</summary>
    public static async Task<IReadOnlyList<string[]>> EnvironmentsOfAsync(DistributedApplication app, string resource)
    {
        var processes = await OfResourceAsync(app, resource);
        Assert.NotEmpty(processes);
        return [.. processes.Select(pid => File.ReadAllText($"/proc/{pid}/environ").Split('\0'))];
    }

    /// <summary>
    /// Every process of <paramref name="resource"/> has one <c>ConnectionStrings__{connectionName}</c>, which
    /// <paramref name="isItsOwn"/> accepts, and nowhere in its environment the administrator's <paramref name="secret"/>.
    /// </summary>
    public static async Task AssertConnectsAsItsOwnUserAsync(DistributedApplication app, string resource, string connectionName,
        Func<string, bool> isItsOwn, string secret)
    {
        foreach (var environment in await EnvironmentsOfAsync(app, resource))
        {
            var prefix = $"ConnectionStrings__{connectionName}=";
            var connectionString = Assert.Single(environment, variable => variable.StartsWith(prefix, StringComparison.Ordinal));
            Assert.True(isItsOwn(connectionString[prefix.Length..]), $"{resource} connects to {connectionName} as another user.");
            Assert.DoesNotContain(environment, variable => variable.Contains(secret, StringComparison.Ordinal));
        }
    }

    // Executables and projects (the services) alike report their PID.
    private static HashSet<int> Trees(IEnumerable<CustomResourceSnapshot> instances) => Trees(instances
        .Select(snapshot => snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value)
        .Select(pid => Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture))
        .Where(pid => pid > 0));

    private static HashSet<int> Trees(IEnumerable<int> roots)
    {
        var parents = AllProcesses().ToLookup(p => p.ParentId, p => p.Id);
        var tree = new HashSet<int>();
        var pending = new Stack<int>(roots);
        while (pending.TryPop(out var pid))
        {
            if (tree.Add(pid))
            {
                foreach (var child in parents[pid])
                {
                    pending.Push(child);
                }
            }
        }

        return tree;
    }

    /// <summary>The loopback ports the executable resources listen on.</summary>
    public static IReadOnlyList<int> Ports(DistributedApplication app) =>
        [.. app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ExecutableResource>()
            .SelectMany(r => r.Annotations.OfType<EndpointAnnotation>())
            .Where(e => e.AllocatedEndpoint is not null)
            .Select(e => e.AllocatedEndpoint!.Port)];

    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}");

    /// <summary>The PIDs of one instance (a replica, by its snapshot) and of all its descendants.</summary>
    public static IReadOnlySet<int> Of(CustomResourceSnapshot instance) => Trees([instance]);

    /// <summary>Whether the process runs: it exists, and is not a zombie waiting for its parent to reap it.</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>"pid: command line", for assertion messages.</summary>
    public static string Describe(int pid)
    {
        try
        {
            return $"{pid}: {File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim()}";
        }
        catch (IOException)
        {
            return $"{pid}: (exited)";
        }
    }

    /// <summary>
    /// Processes whose working directory is inside <paramref name="directory"/>: every local server
    /// runs from its data folder, so this also finds any that detached from the process tree.
    /// </summary>
    public static IReadOnlyList<int> WorkingIn(string directory)
    {
        var found = new List<int>();
        foreach (var (pid, _) in AllProcesses())
        {
            try
            {
                var cwd = new FileInfo($"/proc/{pid}/cwd").LinkTarget;
                if (cwd is not null && (cwd + "/").StartsWith(directory.TrimEnd('/') + "/", StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // exited, or not ours to inspect
            }
        }

        return found;
    }

    /// <summary>Processes whose environment holds <paramref name="variable"/> (<c>NAME=value</c>): what a process inherited from whoever started it.</summary>
    public static IReadOnlyList<int> WithEnvironment(string variable)
    {
        var found = new List<int>();
        foreach (var (pid, _) in AllProcesses())
        {
            try
            {
                if (File.ReadAllText($"/proc/{pid}/environ").Split('\0').Contains(variable, StringComparer.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // exited, or not ours to inspect
            }
        }

        return found;
    }

    /// <summary><paramref name="pid"/> and all its descendants.</summary>
    public static IReadOnlySet<int> Tree(int pid) => Trees([pid]);

    /// <summary>The ancestor of <paramref name="pid"/> (or itself) that the orchestrator (DCP) started: the process it tracks.</summary>
    public static int StartedByOrchestrator(int pid)
    {
        var parents = AllProcesses().ToDictionary(p => p.Id, p => p.ParentId);
        while (parents.TryGetValue(pid, out var parent) && !Describe(parent).Contains("/dcp", StringComparison.Ordinal))
        {
            pid = parent;
        }

        return pid;
    }

    public static void Kill(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // ended meanwhile
        }
    }

    /// <summary>
    /// Disposes the app and waits (a bounded while) until its processes have ended, so that the
    /// next collection starts on a quiet machine. Returns the processes still alive after the wait ("pid: command line"; then killed).
    /// </summary>
    public static async Task<IReadOnlyList<string>> DisposeAndWaitAsync(DistributedApplication app, TimeSpan bound) =>
        await DisposeAndWaitAsync(app, await OfAsync(app), bound);

    /// <inheritdoc cref="DisposeAndWaitAsync(DistributedApplication, TimeSpan)"/>
    /// <param name="app">The app to dispose.</param>
    /// <param name="processes">Its processes, read before it stopped.</param>
    /// <param name="bound">How long to wait for them at most.</param>
    public static async Task<IReadOnlyList<string>> DisposeAndWaitAsync(DistributedApplication app, IReadOnlySet<int> processes, TimeSpan bound)
    {
        await app.DisposeAsync();
        var deadline = DateTime.UtcNow + bound;
        IReadOnlyList<int> alive;
        while ((alive = [.. processes.Where(IsAlive)]).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        // Whatever is left is reported to the caller and ended here, so that one slow stop cannot
        // disturb the next collection's platform.
        var survivors = alive.Select(Describe).ToList();
        foreach (var pid in alive)
        {
            Kill(pid);
        }

        return survivors;
    }

    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The addresses (as "address:port") that <paramref name="pid"/> listens on for TCP, read from /proc/net.</summary>
    public static IReadOnlyList<string> ListeningAddresses(int pid)
    {
        var inodes = new HashSet<string>();
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target[8..^1]);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return []; // exited meanwhile
        }

        // Columns: sl local_address rem_address st ... inode; st 0A is LISTEN; addresses are hex in host byte order per 32-bit word.
        return [.. SocketTables
            .SelectMany(table => File.ReadLines(table).Skip(1))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(columns => columns.Length > 9 && columns[3] == "0A" && inodes.Contains(columns[9]))
            .Select(columns => AddressOf(columns[1]))];
    }

    private static readonly string[] SocketTables = ["/proc/net/tcp", "/proc/net/tcp6"];

    private static string AddressOf(string hex)
    {
        var (address, port) = (hex[..hex.IndexOf(':', StringComparison.Ordinal)], Convert.ToInt32(hex[(hex.IndexOf(':', StringComparison.Ordinal) + 1)..], 16));
        var bytes = Convert.FromHexString(address);
        for (var word = 0; word < bytes.Length; word += 4)
        {
            Array.Reverse(bytes, word, 4);
        }

        return $"{new System.Net.IPAddress(bytes)}:{port}";
    }

    private static IEnumerable<(int Id, int ParentId)> AllProcesses()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue; // exited while we looked
            }

            // "pid (comm) state ppid ...": comm may contain spaces, so parse after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            yield return (pid, int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
