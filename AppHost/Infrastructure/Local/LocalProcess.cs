using System.Diagnostics;
using System.Globalization;

namespace Platform.AppHost.Infrastructure.Local;

/// <summary>Runs a short-lived command (initdb, pg_basebackup, chown, kill) and fails loudly; finds a process's descendants.</summary>
internal static class LocalProcess
{
    public static async Task<string> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(startInfo)
            ?? throw new DistributedApplicationException($"Could not start '{fileName}'.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            // Some tools (MSBuild) write their errors to standard output.
            var said = string.Join('\n', new[] { (await error).Trim(), (await output).Trim() }.Where(text => text.Length > 0));
            throw new DistributedApplicationException(
                $"'{fileName} {string.Join(' ', startInfo.ArgumentList)}' exited with {process.ExitCode}: {said}");
        }

        return await output;
    }

    /// <summary><paramref name="root"/> and its descendants, from /proc.</summary>
    public static List<int> Tree(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(directory), out var pid))
                {
                    var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                    var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                    (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(pid);
                }
            }
            catch (IOException)
            {
                // gone meanwhile
            }
        }

        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++)
        {
            tree.AddRange(children.GetValueOrDefault(tree[i]) ?? []);
        }

        return tree;
    }
}
