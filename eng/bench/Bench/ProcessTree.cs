using System.Globalization;

namespace Platform.Bench;

/// <summary>
/// Memory of this process (the AppHost) and everything the orchestrator runs for it: DCP (which
/// detaches, but names the AppHost's PID in <c>--monitor</c>), the dashboard and every server.
/// Proportional set size (PSS), so pages that processes share are counted once in the total.
/// </summary>
internal static class ProcessTree
{
    public sealed record Memory(long Total, IReadOnlyDictionary<string, long> ByProcess);

    public const string ThisProcess = "apphost (this process)";

    public static Memory ResidentMemory() => Sum(p => p.Pss);

    /// <summary>CPU time (user + system) used so far, in milliseconds, by the same processes.</summary>
    public static Memory CpuMilliseconds() => Sum(p => p.CpuTicks * 1000 / TicksPerSecond);

    /// <summary>
    /// CPU time used so far, in milliseconds, with that of ended children each process has reaped (the migration steps
    /// count towards the orchestrator that ran them).
    /// </summary>
    public static Memory CpuMillisecondsWithEndedChildren() => Sum(p => (p.CpuTicks + p.ChildrenCpuTicks) * 1000 / TicksPerSecond);

    /// <summary>CPU use over <paramref name="window"/>, in % of one core: the whole tree, and by process name (the busy ones first).</summary>
    public static async Task<CpuUse> CpuUseAsync(TimeSpan window)
    {
        var before = CpuMilliseconds();
        await Task.Delay(window);
        var after = CpuMilliseconds();
        var percent = 100.0 / window.TotalMilliseconds;
        return new CpuUse((after.Total - before.Total) * percent, string.Join(", ",
            after.ByProcess.Select(p => (p.Key, Percent: (p.Value - before.ByProcess.GetValueOrDefault(p.Key)) * percent))
                .Where(p => p.Percent >= 0.1).OrderByDescending(p => p.Percent).Select(p => $"{p.Key} {p.Percent:F1}")));
    }

    public sealed record CpuUse(double PercentOfOneCore, string ByProcess)
    {
        public override string ToString() => $"{PercentOfOneCore:F1} % of one core = {ByProcess}";
    }

    /// <summary>CPU time used so far by the processes whose command line contains <paramref name="commandLinePart"/>.</summary>
    public static double CpuMillisecondsOf(string commandLinePart) =>
        ReadAll().Where(p => p.CommandLine.Contains(commandLinePart, StringComparison.Ordinal)).Sum(p => p.CpuTicks * 1000.0 / TicksPerSecond);

    private const long TicksPerSecond = 100; // USER_HZ on Linux

    private static Memory Sum(Func<Process, long> measure)
    {
        var processes = ReadAll();
        var children = processes.ToLookup(p => p.Parent);
        var byName = new Dictionary<string, long>();
        var monitor = $"--monitor {Environment.ProcessId} ";
        var pending = new Stack<int>(processes.Where(p => p.CommandLine.Contains(monitor, StringComparison.Ordinal)).Select(p => p.Id)
            .Append(Environment.ProcessId));
        long total = 0;
        while (pending.TryPop(out var pid))
        {
            if (processes.FirstOrDefault(p => p.Id == pid) is { } process)
            {
                total += measure(process);
                var name = pid == Environment.ProcessId ? ThisProcess : process.Name;
                byName[name] = byName.GetValueOrDefault(name) + measure(process);
            }

            foreach (var child in children[pid])
            {
                pending.Push(child.Id);
            }
        }

        return new Memory(total, byName);
    }

    private sealed record Process(int Id, int Parent, string Name, string CommandLine, long Pss, long CpuTicks, long ChildrenCpuTicks);

    private static List<Process> ReadAll()
    {
        var result = new List<Process>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                var status = File.ReadAllLines(Path.Combine(directory, "status"));
                var rollup = File.ReadAllLines(Path.Combine(directory, "smaps_rollup"));
                string Field(string[] lines, string key) =>
                    lines.FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?[key.Length..].Trim() ?? "0";
                var pssKb = long.Parse(Field(rollup, "Pss:").Split(' ')[0], CultureInfo.InvariantCulture);
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                // "pid (comm) state ppid … utime stime …": fields 14 and 15, counted after the last ')'.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var cpuTicks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                var childrenCpuTicks = long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
                result.Add(new Process(pid, int.Parse(Field(status, "PPid:"), CultureInfo.InvariantCulture), Field(status, "Name:"), commandLine,
                    pssKb * 1024, cpuTicks, childrenCpuTicks));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the process ended while we read it
            }
        }

        return result;
    }
}
