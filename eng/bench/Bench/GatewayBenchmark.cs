using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace Platform.Bench;

/// <summary>
/// What the gateway costs: a cached catalog read through the gateway (balanced over both catalog instances) beside the
/// same read straight from one catalog instance and the gateway's trivial <c>/alive</c>, all in the same run; the
/// latency the extra hop adds, and the gateway's CPU per request.
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
                var direct = await Wrk.WarmThenRunAsync(new Uri(catalog, "/products?pageSize=20"), duration, authorization);
                var directOne = await Wrk.WarmThenRunAsync(new Uri(catalog, "/products/1"), duration, authorization);
                var (proxied, gatewayCpuMs, requests) = await MeasureGatewayCpuAsync(() =>
                    Wrk.WarmThenRunAsync(new Uri(gateway, "/api/catalog/products?pageSize=20"), duration, authorization), duration);
                var proxiedOne = await Wrk.WarmThenRunAsync(new Uri(gateway, "/api/catalog/products/1"), duration, authorization);

                Console.WriteLine($"  gateway GET /alive (trivial)                     {alive}");
                Console.WriteLine($"  catalog GET /products, cached, one instance      {direct}");
                Console.WriteLine($"  gateway GET /api/catalog/products, cached        {proxied}   = {proxied.RequestsPerSecond / direct.RequestsPerSecond:F2}× direct");
                Console.WriteLine($"  catalog GET /products/1, cached, one instance    {directOne}");
                Console.WriteLine($"  gateway GET /api/catalog/products/1, cached      {proxiedOne}   = {proxiedOne.RequestsPerSecond / directOne.RequestsPerSecond:F2}× direct");
                Console.WriteLine();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"added latency (list): p50 {proxied.P50Ms - direct.P50Ms:+0.00;-0.00} ms, p99 {proxied.P99Ms - direct.P99Ms:+0.00;-0.00} ms"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"gateway CPU per proxied request: {gatewayCpuMs / requests * 1000:F0} µs ({gatewayCpuMs:F0} ms over {requests:F0} requests)"));
            }
        }
        finally
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }

    /// <summary>The measured run of <paramref name="load"/> and the gateway process's CPU time during it (warm-up included, then subtracted pro rata).</summary>
    private static async Task<(Wrk.Result Result, double GatewayCpuMs, double Requests)> MeasureGatewayCpuAsync(Func<Task<Wrk.Result>> load, TimeSpan duration)
    {
        var before = GatewayCpu();
        var result = await load();
        var after = GatewayCpu();
        var requests = result.RequestsPerSecond * (duration + Wrk.WarmUp).TotalSeconds; // the warm-up ran at about the same rate
        return (result, after - before, requests);
    }

    // The service process itself (its build output), not the `dotnet run` host that launched it.
    private static double GatewayCpu() => ProcessTree.CpuMillisecondsOf("/services/Gateway/bin/");
}
