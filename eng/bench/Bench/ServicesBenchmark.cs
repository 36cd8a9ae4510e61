using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace Platform.Bench;

/// <summary>
/// Throughput of the catalog and orders services, each beside a baseline from the same run: catalog reads
/// (cached, and with the cache switched off) against a trivial endpoint of the same service, and
/// <c>POST /orders</c> against <c>pgbench</c> on the same Postgres primary. Plus the platform's memory.
/// </summary>
internal static class ServicesBenchmark
{

    public static async Task RunAsync(string[] args)
    {
        var duration = TimeSpan.FromSeconds(args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10);
        var stateDirectory = Directory.CreateTempSubdirectory("platform-bench-").FullName;
        try
        {
            Console.WriteLine($"Services in local mode on {Environment.ProcessorCount} cores; wrk: 2 threads, {Wrk.Connections} connections, " +
                              $"{duration.TotalSeconds:F0} s per load after {Wrk.WarmUp.TotalSeconds:F0} s warm-up (/alive and /products: median of {Wrk.AlternatingRounds} alternating rounds); " +
                              $"state folder {stateDirectory}");
            Console.WriteLine();

            Wrk.Result trivial, cached, cachedOne, placed;
            double pgbenchTps;
            ProcessTree.Memory idle;
            ProcessTree.Memory peak;
            var (_, app) = await BenchApp.StartAsync(stateDirectory, withDashboard: true);
            await using (app)
            {
                await Task.Delay(TimeSpan.FromSeconds(5)); // let start-up work settle
                idle = ProcessTree.ResidentMemory();
                var token = await MachineToken.GetAsync(app);
                var catalog = app.GetEndpoint("catalog", "http");
                await using (var memory = new PeakMemory())
                {
                    (trivial, cached) = await Wrk.AlternatingAsync(new Uri(catalog, "/alive"), new Uri(catalog, "/products?pageSize=20"), duration,
                        [$"Authorization: Bearer {token}"]);
                    cachedOne = await Wrk.WarmThenRunAsync(new Uri(catalog, "/products/1"), duration, [$"Authorization: Bearer {token}"]);
                    // Only customers place orders (a machine token is refused with 403): the demo customer's token.
                    var customer = await CustomerToken.GetAsync(app);
                    placed = await Wrk.WarmThenRunAsync(new Uri(app.GetEndpoint("orders", "http"), "/orders"), duration, [], () => PlaceOrderScript(customer));
                    if (placed.Errors > 0)
                    {
                        throw new InvalidOperationException($"POST /orders: {placed.Errors} requests were not accepted; the figure would measure refusals.");
                    }
                    peak = memory.Peak;
                }

                pgbenchTps = await PgBench.TransactionsPerSecondAsync(await app.GetConnectionStringAsync("postgres") ?? "", duration, Wrk.Connections);
            }

            Wrk.Result trivialAgain, uncached;
            (_, app) = await BenchApp.StartAsync(stateDirectory, withDashboard: false, builder =>
                builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "catalog"))
                    .WithEnvironment("Catalog__Cache__Enabled", "false"));
            await using (app)
            {
                var token = await MachineToken.GetAsync(app);
                var catalog = app.GetEndpoint("catalog", "http");
                (trivialAgain, uncached) = await Wrk.AlternatingAsync(new Uri(catalog, "/alive"), new Uri(catalog, "/products?pageSize=20"), duration,
                    [$"Authorization: Bearer {token}"]);
            }

            Console.WriteLine("run 1 (cache on)");
            Console.WriteLine($"  catalog GET /alive (trivial)           {trivial}");
            Console.WriteLine($"  catalog GET /products, cached          {cached}   = {cached.RequestsPerSecond / trivial.RequestsPerSecond:F2}× trivial");
            Console.WriteLine($"  catalog GET /products/1, cached        {cachedOne}   = {cachedOne.RequestsPerSecond / trivial.RequestsPerSecond:F2}× trivial");
            Console.WriteLine($"  orders  POST /orders                   {placed}");
            Console.WriteLine($"  pgbench TPC-B, same primary            {pgbenchTps,8:F0} tps ({Wrk.Connections} clients)");
            Console.WriteLine($"  POST /orders ÷ pgbench tps             {placed.RequestsPerSecond / pgbenchTps,8:F2}");
            Console.WriteLine("run 2 (catalog cache off)");
            Console.WriteLine($"  catalog GET /alive (trivial)           {trivialAgain}");
            Console.WriteLine($"  catalog GET /products, uncached        {uncached}   = {uncached.RequestsPerSecond / trivialAgain.RequestsPerSecond:F2}× trivial");
            Results.Add("catalog GET /products (20 items), cached", cached.RequestsPerSecond, "req/s", "catalog GET /alive", trivial.RequestsPerSecond, "≥ 0.5×");
            Results.Add("catalog GET /products/1, cached", cachedOne.RequestsPerSecond, "req/s", "catalog GET /alive", trivial.RequestsPerSecond);
            Results.Add("catalog GET /products, uncached", uncached.RequestsPerSecond, "req/s", "catalog GET /alive", trivialAgain.RequestsPerSecond);
            Results.Add($"POST /orders, {Wrk.Connections} connections", placed.RequestsPerSecond, "req/s", "pgbench TPC-B", pgbenchTps);
            Console.WriteLine($"cached ÷ uncached (each against its run's trivial endpoint): " +
                              $"{cached.RequestsPerSecond / trivial.RequestsPerSecond / (uncached.RequestsPerSecond / trivialAgain.RequestsPerSecond):F2}");
            Console.WriteLine();
            Console.WriteLine($"memory (PSS), whole platform, idle:        {idle.Total / 1048576.0,6:F0} MiB");
            foreach (var (name, bytes) in idle.ByProcess.OrderByDescending(p => p.Value))
            {
                Console.WriteLine($"    {name,-28} {bytes / 1048576.0,7:F0} MiB");
            }

            Console.WriteLine($"memory (PSS), whole platform, under load:  {peak.Total / 1048576.0,6:F0} MiB (peak during the HTTP loads of run 1)");
            foreach (var (name, bytes) in peak.ByProcess.OrderByDescending(p => p.Value))
            {
                Console.WriteLine($"    {name,-28} {bytes / 1048576.0,7:F0} MiB");
            }
        }
        finally
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }


    /// <summary>wrk script: every request a new order with its own idempotency key (unique per script, thread and request).</summary>
    private static string PlaceOrderScript(string token) => $$"""
        local threads = 0
        function setup(thread)
          threads = threads + 1
          thread:set("id", threads)
        end
        function init(args)
          sent = 0
        end
        function request()
          sent = sent + 1
          return wrk.format("POST", "/orders", {
            ["Authorization"] = "Bearer {{token}}",
            ["Content-Type"] = "application/json",
            ["Idempotency-Key"] = "bench-{{Guid.NewGuid():N}}-" .. id .. "-" .. sent,
          }, '{"items":[{"productId":1,"quantity":1},{"productId":2,"quantity":2}]}')
        end
        """;
}
