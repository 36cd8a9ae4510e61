using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace Platform.Bench;

/// <summary>
/// What the gateway costs: a cached catalog read through the gateway (balanced over both catalog instances) beside the
/// same read straight from one catalog instance and the gateway's trivial <c>/alive</c>, all in the same run; the
/// latency the extra hop adds, and where the CPU goes per request (gateway, catalog, everything else) — what limits it.
/// </summary>
internal static class GatewayBenchmark
{

    public static async Task RunAsync(string[] args)
    {
        var duration = TimeSpan.FromSeconds(args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10);
        var stateDirectory = Directory.CreateTempSubdirectory("platform-bench-").FullName;
        try
        {
            Console.WriteLine($"Gateway in local mode on {Environment.ProcessorCount} cores; wrk: 2 threads, {Wrk.Connections} connections, " +
                              $"{duration.TotalSeconds:F0} s per load after {Wrk.WarmUp.TotalSeconds:F0} s warm-up; rate limits lifted for the run");
            Console.WriteLine();

            // The benchmark is one caller: lift its per-caller budget, or it would measure 429s.
            var (_, app) = await BenchApp.StartAsync(stateDirectory, withDashboard: false, configure: null,
                "--Gateway:RateLimits:PerCaller:PermitLimit=1000000000");
            await using (app)
            {
                await Task.Delay(TimeSpan.FromSeconds(5));
                var token = await MachineToken.GetAsync(app);
                string[] authorization = [$"Authorization: Bearer {token}"];
                var gateway = app.GetEndpoint("gateway", "http");
                var catalog = app.GetEndpoint("catalog", "http");

                var alive = await Wrk.WarmThenRunAsync(new Uri(gateway, "/alive"), duration, []);
                var (direct, directCpu) = await MeasureCpuAsync(() =>
                    Wrk.WarmThenRunAsync(new Uri(catalog, "/products?pageSize=20"), duration, authorization), duration);
                var directOne = await Wrk.WarmThenRunAsync(new Uri(catalog, "/products/1"), duration, authorization);
                var (proxied, proxiedCpu) = await MeasureCpuAsync(() =>
                    Wrk.WarmThenRunAsync(new Uri(gateway, "/api/catalog/products?pageSize=20"), duration, authorization), duration);
                var proxiedOne = await Wrk.WarmThenRunAsync(new Uri(gateway, "/api/catalog/products/1"), duration, authorization);

                Console.WriteLine($"  gateway GET /alive (trivial)                     {alive}");
                Console.WriteLine($"  catalog GET /products, cached, one instance      {direct}");
                Console.WriteLine($"  gateway GET /api/catalog/products, cached        {proxied}   = {proxied.RequestsPerSecond / direct.RequestsPerSecond:F2}× direct");
                Console.WriteLine($"  catalog GET /products/1, cached, one instance    {directOne}");
                Console.WriteLine($"  gateway GET /api/catalog/products/1, cached      {proxiedOne}   = {proxiedOne.RequestsPerSecond / directOne.RequestsPerSecond:F2}× direct");
                Results.Add("gateway GET /api/catalog/products, cached", proxied.RequestsPerSecond, "req/s", "the same from one catalog instance", direct.RequestsPerSecond);
                Results.Add("gateway GET /api/catalog/products/1, cached", proxiedOne.RequestsPerSecond, "req/s", "the same from one catalog instance", directOne.RequestsPerSecond);
                Console.WriteLine();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"added latency (list): p50 {proxied.P50Ms - direct.P50Ms:+0.00;-0.00} ms, p99 {proxied.P99Ms - direct.P99Ms:+0.00;-0.00} ms"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"gateway CPU per proxied request: {proxiedCpu.GatewayUs:F0} µs"));
                Results.Add("gateway CPU per proxied request (list)", proxiedCpu.GatewayUs, "µs", "catalog CPU per request, direct", directCpu.CatalogUs);
                Console.WriteLine();
                Console.WriteLine("CPU per request (list, µs)        direct   through the gateway");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  catalog instances              {directCpu.CatalogUs,7:F0}   {proxiedCpu.CatalogUs,7:F0}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  gateway                        {directCpu.GatewayUs,7:F0}   {proxiedCpu.GatewayUs,7:F0}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  everything else (wrk, kernel…) {directCpu.OtherUs,7:F0}   {proxiedCpu.OtherUs,7:F0}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  machine busy                   {directCpu.BusyPercent,6:F0} %  {proxiedCpu.BusyPercent,6:F0} %"));
            }
        }
        finally
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }

    /// <summary>CPU used during one load, per request, by the gateway, the catalog instances and everything else.</summary>
    private sealed record CpuPerRequest(double GatewayUs, double CatalogUs, double OtherUs, double BusyPercent);

    /// <summary>
    /// The measured run of <paramref name="load"/> and the CPU used meanwhile (warm-up included, divided by the requests of
    /// both: the warm-up runs at about the same rate). "Everything else" is the machine's busy time minus the two services.
    /// </summary>
    private static async Task<(Wrk.Result Result, CpuPerRequest Cpu)> MeasureCpuAsync(Func<Task<Wrk.Result>> load, TimeSpan duration)
    {
        var (gateway, catalog, machine) = (GatewayCpu(), CatalogCpu(), MachineCpu());
        var result = await load();
        var gatewayMs = GatewayCpu() - gateway;
        var catalogMs = CatalogCpu() - catalog;
        var after = MachineCpu();
        var (busyMs, totalMs) = (after.BusyMs - machine.BusyMs, after.TotalMs - machine.TotalMs);
        var requests = result.RequestsPerSecond * (duration + Wrk.WarmUp).TotalSeconds;
        return (result, new CpuPerRequest(gatewayMs / requests * 1000, catalogMs / requests * 1000,
            (busyMs - gatewayMs - catalogMs) / requests * 1000, busyMs / totalMs * 100));
    }

    // The service processes, by their build output.
    private static double GatewayCpu() => ProcessTree.CpuMillisecondsOf("/services/Gateway/bin/");

    private static double CatalogCpu() => ProcessTree.CpuMillisecondsOf("/services/Catalog/bin/");

    /// <summary>Busy and total CPU time of the whole machine so far (all cores), from <c>/proc/stat</c>.</summary>
    private static (double BusyMs, double TotalMs) MachineCpu()
    {
        var ticks = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        var idle = ticks[3] + ticks[4]; // idle, iowait
        return ((ticks.Sum() - idle) * 10.0, ticks.Sum() * 10.0); // USER_HZ = 100
    }
}
