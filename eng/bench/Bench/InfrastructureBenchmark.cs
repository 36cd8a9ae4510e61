using System.Diagnostics;

namespace Platform.Bench;

/// <summary>
/// Seconds from start to every resource healthy (cold state folder, then warm), resident memory of the
/// whole process tree at idle and under an insert loop, and streaming-replica lag (p50/p99) under that loop.
/// </summary>
internal static class InfrastructureBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var warmRuns = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3;
        var loadSeconds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10;
        var stateDirectory = Directory.CreateTempSubdirectory("platform-bench-").FullName;

        try
        {
            Console.WriteLine($"Local infrastructure on {Environment.ProcessorCount} cores; state folder {stateDirectory}");

            var (cold, coldApp) = await BenchApp.StartAsync(stateDirectory, withDashboard: true);
            Console.WriteLine($"start → all healthy, cold state folder:  {cold.TotalSeconds,6:F2} s");
            Results.Add("start → all healthy, cold state folder", cold.TotalSeconds, "s", goal: "≤ 25 s");
            await Task.Delay(TimeSpan.FromSeconds(5)); // let start-up work (checkpoints, plugin boot) settle
            var idle = ProcessTree.ResidentMemory();
            await Task.Delay(TimeSpan.FromSeconds(25)); // start-up work done (JIT tiering, first checkpoints): really idle
            var idleCpu = await ProcessTree.CpuUseAsync(TimeSpan.FromSeconds(10));
            var lag = await ReplicaLag.MeasureAsync(coldApp, TimeSpan.FromSeconds(loadSeconds), ProcessTree.ResidentMemory);
            var stop = Stopwatch.StartNew();
            await coldApp.DisposeAsync();
            stop.Stop();

            var warm = new List<double>();
            for (var i = 0; i < warmRuns; i++)
            {
                var (elapsed, app) = await BenchApp.StartAsync(stateDirectory, withDashboard: false);
                warm.Add(elapsed.TotalSeconds);
                await app.DisposeAsync();
            }

            Console.WriteLine($"start → all healthy, warm (median of {warmRuns}): {Median(warm),6:F2} s   runs: {string.Join(", ", warm.Select(w => w.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
            BenchApp.LastTimeline?.Print("the last warm start");
            // Baseline: the slowest single server of the shared infrastructure, from its launch to its first healthy check.
            var slowest = BenchApp.LastTimeline?.LongestStart("postgres", "redis", "eventbus");
            Results.Add("start → all healthy, warm state folder (median)", Median(warm), "s", slowest is { } s ? $"slowest infrastructure start ({Name(s.Id)})" : null,
                slowest?.Seconds, goal: "≤ 15 s");
            if (BenchApp.LastStartupCpu is { } cpu)
            {
                Console.WriteLine($"CPU from start to all healthy, last warm start: {cpu.Values.Sum() / 1000.0:F1} s on {Environment.ProcessorCount} cores");
                Results.Add("CPU from start to all healthy, warm, all processes", cpu.Values.Sum() / 1000.0, "s");
                foreach (var (name, ms) in cpu.Where(p => p.Value >= 50).OrderByDescending(p => p.Value))
                {
                    Console.WriteLine($"    {name,-28} {ms / 1000.0,7:F1} s");
                }
            }

            Console.WriteLine($"stop (dispose) with all processes ended:  {stop.Elapsed.TotalSeconds,6:F2} s");
            Results.Add("stop, until every process has ended", stop.Elapsed.TotalSeconds, "s");
            Console.WriteLine();
            Console.WriteLine($"memory (PSS), whole platform, idle:       {idle.Total / 1048576.0,7:F0} MiB");
            Results.Add("memory (PSS), whole platform, idle", idle.Total / 1048576.0, "MiB", goal: "≤ 1,536 MiB");
            foreach (var (name, bytes) in idle.ByProcess.OrderByDescending(p => p.Value))
            {
                Console.WriteLine($"    {name,-28} {bytes / 1048576.0,7:F0} MiB");
            }

            Console.WriteLine($"idle CPU, whole platform with the dashboard: {idleCpu}");
            Results.Add("idle CPU, whole platform with the dashboard", idleCpu.PercentOfOneCore, "% of a core", goal: "≤ 10 %");
            Console.WriteLine($"memory (PSS), whole platform, under load: {lag.PeakMemory / 1048576.0,7:F0} MiB (peak)");
            Console.WriteLine();
            Console.WriteLine($"insert loop on the primary: {lag.Inserts} commits in {loadSeconds} s ({lag.Inserts / (double)loadSeconds:F0}/s, one connection)");
            foreach (var replica in lag.Replicas)
            {
                Console.WriteLine($"    replay lag {replica.Name}: p50 {replica.P50:F2} ms   p99 {replica.P99:F2} ms   max {replica.Max:F2} ms   ({replica.Samples} commits)");
            }
        }
        finally
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }

    private static string Name(string instanceId) => instanceId.LastIndexOf('-') is > 0 and var dash ? instanceId[..dash] : instanceId;

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
