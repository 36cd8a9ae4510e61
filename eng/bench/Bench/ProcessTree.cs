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
        var byName = new Dictionary<string, long>();
        long total = 0;
        foreach (var process in Tree())
        {
            var value = measure(process);
            total += value;
            var name = process.Id == Environment.ProcessId ? ThisProcess : DetailName(process);
            byName[name] = byName.GetValueOrDefault(name) + value;
        }

        return new Memory(total, byName);
    }

    /// <summary>This process, DCP and their descendants.</summary>
    private static IEnumerable<Process> Tree()
    {
        var processes = ReadAll();
        var byId = processes.ToDictionary(p => p.Id);
        var children = processes.ToLookup(p => p.Parent);
        var monitor = $"--monitor {Environment.ProcessId} ";
        var pending = new Stack<int>(processes.Where(p => p.CommandLine.Contains(monitor, StringComparison.Ordinal)).Select(p => p.Id)
            .Append(Environment.ProcessId));
        while (pending.TryPop(out var pid))
        {
            if (byId.TryGetValue(pid, out var process))
            {
                yield return process;
            }

            foreach (var child in children[pid])
            {
                pending.Push(child.Id);
            }
        }
    }

    private static readonly bool PostgresDetail = Environment.GetEnvironmentVariable("PLATFORM_BENCH_POSTGRES_DETAIL") == "1";

    private static string DetailName(Process process)
    {
        if (!PostgresDetail || process.Name != "postgres" || !process.CommandLine.StartsWith("postgres: ", StringComparison.Ordinal))
        {
            return process.Name;
        }

        var words = process.CommandLine["postgres: ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return "pg " + string.Join(' ', words.TakeWhile(w => !w.Contains('(') && !w.Contains('/') && !char.IsDigit(w[0])).Take(3));
    }

    private sealed record Process(int Id, int Parent, string Name, string CommandLine, long CpuTicks, long ChildrenCpuTicks)
    {
        /// <summary>
        /// Read when asked, and so only for the platform's processes: the kernel walks every page table of a process to
        /// answer, which at two samples a second over the whole machine was a tenth of the CPU charged to this process.
        /// </summary>
        public long Pss
        {
            get
            {
                try
                {
                    var line = File.ReadLines($"/proc/{Id}/smaps_rollup").FirstOrDefault(l => l.StartsWith("Pss:", StringComparison.Ordinal));
                    return line is null ? 0 : long.Parse(line["Pss:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return 0; // it has ended
                }
            }
        }
    }

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
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                // "pid (comm) state ppid … utime stime cutime cstime …": fields 4 and 14–17, counted after the last ')'.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var name = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var cpuTicks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                var childrenCpuTicks = long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
                result.Add(new Process(pid, int.Parse(fields[1], CultureInfo.InvariantCulture), name, commandLine, cpuTicks, childrenCpuTicks));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the process ended while we read it
            }
        }

        return result;
    }
}
