using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using System.Buffers.Text;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.AppHost.Operations;
using Platform.Data.Sharding;

namespace Platform.Bench;

/// <summary>
/// End to end: orders placed at a fixed rate (open loop: one every 1/rate s, whatever the answers do) and the time
/// until each is confirmed — POST, outbox, RabbitMQ, inventory, payments, orders — read from the orders' own
/// <c>created_at</c>/<c>settled_at</c>. Beside it <c>pgbench</c> on the same primary in the same run.
/// </summary>
internal static partial class OrderFlowBenchmark
{
    private const int PgBenchClients = 16;
    private static readonly TimeSpan Settling = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(string[] args)
    {
        var duration = TimeSpan.FromSeconds(args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15);
        int[] rates = args.Length > 1 ? [.. args[1..].Select(a => int.Parse(a, CultureInfo.InvariantCulture))] : [100, 200, 300];
        // PLATFORM_BENCH_SHARDS=1 compares the order flow on one database with the default two shards (all of one customer's
        // orders are on one shard either way: what differs is the routing's cost).
        var shards = int.Parse(Environment.GetEnvironmentVariable("PLATFORM_BENCH_SHARDS") ?? "2", CultureInfo.InvariantCulture);
        var stateDirectory = Directory.CreateTempSubdirectory("platform-bench-").FullName;
        try
        {
            Console.WriteLine($"Order flow in local mode on {Environment.ProcessorCount} cores, {shards} order shards: {duration.TotalSeconds:F0} s per offered rate " +
                              "(after a 3 s warm-up at 50/s), payments approved after the provider's default latency; state folder " + stateDirectory);
            var (_, app) = await BenchApp.StartAsync(stateDirectory, withDashboard: true, configure: null, "--Payments:FailureRate=0", $"--Orders:Shards={shards}");
            await using (app)
            {
                var products = await StockUpAsync(await app.GetConnectionStringAsync("catalogdb") ?? "");
                using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 })
                {
                    BaseAddress = app.GetEndpoint("orders", "http"),
                    Timeout = TimeSpan.FromSeconds(30),
                };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await CustomerToken.GetAsync(app));
                // First, while the services hold few connections: after any order load their pools (up to 100 connections
                // per instance, idle ones closed only after 5 min) can hold every connection the primary allows.
                var pgbenchTps = await PgBench.TransactionsPerSecondAsync(await app.GetConnectionStringAsync("postgres") ?? "", duration, PgBenchClients);
                var ordersDb = await CustomersShardAsync(app, http, products); // the demo customer's orders are all there
                await PlaceAtRateAsync(http, ordersDb, products, 50, TimeSpan.FromSeconds(3)); // JIT, pools, queues
                await Task.Delay(TimeSpan.FromSeconds(20)); // the warm-up's backlog, JIT tiering and pool trimming settle first
                var idle = await ProcessTree.CpuUseAsync(TimeSpan.FromSeconds(10));
                Console.WriteLine($"idle CPU: {idle}");

                Console.WriteLine();
                Console.WriteLine("offered/s  accepted/s  confirmed/s  cancelled  unsettled   p50 ms   p99 ms   max ms   deepest queues");
                var results = new List<Row>();
                var cpuPerOrder = new Dictionary<int, double>();
                ProcessTree.Memory peak;
                await using (var memory = new PeakMemory())
                {
                    foreach (var rate in rates)
                    {
                        Row row;
                        var cpuBefore = ProcessTree.CpuMilliseconds();
                        await using (var queues = await QueueDepths.StartAsync(app))
                        {
                            row = await PlaceAtRateAsync(http, ordersDb, products, rate, duration);
                            row = row with { Backlog = string.Join(", ", queues.Deepest.Where(q => q.Value > 0 && !q.Key.Contains('.'))
                                .OrderByDescending(q => q.Value).Select(q => $"{q.Key} {q.Value}")) };
                        }

                        results.Add(row);
                        Console.WriteLine(row);
                        var cpuAfter = ProcessTree.CpuMilliseconds();
                        var settled = row.Confirmed + row.Cancelled;
                        cpuPerOrder[row.Offered] = (cpuAfter.Total - cpuBefore.Total) / (double)settled;
                        Console.WriteLine($"           CPU ms per settled order: {(cpuAfter.Total - cpuBefore.Total) / (double)settled:F1} = " + string.Join(", ",
                            cpuAfter.ByProcess.Select(p => (p.Key, Ms: (p.Value - cpuBefore.ByProcess.GetValueOrDefault(p.Key)) / (double)settled))
                                .Where(p => p.Ms >= 0.1).OrderByDescending(p => p.Ms).Select(p => $"{p.Key} {p.Ms:F1}")));
                    }

                    peak = memory.Peak;
                }

                if (shards > 1)
                {
                    await MoveDuringLoadAsync(app, http, products);
                }

                var best = results.MaxBy(r => r.ConfirmedPerSecond)!;
                Console.WriteLine();
                Console.WriteLine($"pgbench TPC-B, same primary, {PgBenchClients} clients: {pgbenchTps:F0} tps");
                Console.WriteLine($"confirmed orders/s ÷ pgbench tps: {best.ConfirmedPerSecond / pgbenchTps:F2} (best row: {best.Offered}/s offered)");
                Results.Add($"confirmed orders/s (best of the offered rates: {best.Offered}/s)", best.ConfirmedPerSecond, "orders/s",
                    $"pgbench TPC-B tps, {PgBenchClients} clients", pgbenchTps, "≥ 0.25×");
                Results.Add($"p99 accepted → confirmed at {best.Offered}/s offered", best.P99Ms, "ms", goal: "≤ 500 ms at half the maximum rate");
                Results.Add($"CPU per settled order at {best.Offered}/s offered, all processes", cpuPerOrder[best.Offered], "ms", goal: "≤ 8 ms");
                Results.Add("memory (PSS), whole platform, peak during the order flow", peak.Total / 1048576.0, "MiB", goal: "≤ 2,560 MiB");
                Console.WriteLine($"memory (PSS), whole platform, peak during the order load: {peak.Total / 1048576.0:F0} MiB");
                foreach (var (name, bytes) in peak.ByProcess.OrderByDescending(p => p.Value).Take(12))
                {
                    Console.WriteLine($"    {name,-28} {bytes / 1048576.0,7:F0} MiB");
                }
            }
        }
        finally
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }

    /// <summary>The connection string (superuser) of the shard the demo customer's orders are on: where one order of theirs is.</summary>
    private static async Task<string> CustomersShardAsync(DistributedApplication app, HttpClient http, int[] products)
    {
        var id = await PlaceAsync(http, $"bench-probe-{Guid.NewGuid():N}", products[0], products[1])
            ?? throw new InvalidOperationException("The probe order was not accepted.");
        for (var shard = 1; await app.GetConnectionStringAsync(shard == 1 ? "ordersdb" : $"ordersdb{shard}") is { } connectionString; shard++)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            if (await ScalarAsync<long>(connection, "SELECT count(*) FROM orders WHERE id = ANY($1)", [id]) == 1)
            {
                Console.WriteLine($"the demo customer's orders are on {connection.Database}");
                return connectionString;
            }
        }

        throw new InvalidOperationException($"Order {id} is on no shard.");
    }

    /// <summary>The demo customer's bucket moved to another shard while they order at 50/s: how long its writes were fenced.</summary>
    private static async Task MoveDuringLoadAsync(DistributedApplication app, HttpClient http, int[] products)
    {
        var from = new NpgsqlConnectionStringBuilder(await CustomersShardAsync(app, http, products)).Database;
        var to = from == "ordersdb" ? "ordersdb2" : "ordersdb";
        var token = http.DefaultRequestHeaders.Authorization!.Parameter!;
        var subject = JsonDocument.Parse(Base64Url.DecodeFromChars(token.Split('.')[1])).RootElement.GetProperty("sub").GetString()!;
        using var placing = new CancellationTokenSource();
        var load = PlaceUntilAsync(http, products, 50, placing.Token);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var moved = await app.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync("orders", BucketMoves.CommandName,
            new InteractionInputCollection(
            [
                new InteractionInput { Name = BucketMoves.BucketName, Label = "bucket", InputType = InputType.Number, Value = $"{Buckets.Of(subject)}" },
                new InteractionInput { Name = BucketMoves.ShardName, Label = "shard", InputType = InputType.Text, Value = to },
            ]), CancellationToken.None);
        await placing.CancelAsync();
        var (placed, refused) = await load;
        Console.WriteLine();
        Console.WriteLine($"bucket move under 50 orders/s: {(moved.Success ? moved.Message : $"failed: {moved.Message}")}; " +
                          $"{placed} orders accepted meanwhile, {refused} answered 503 (the client retries those)");
        if (moved.Success && FenceMilliseconds().Match(moved.Message ?? "") is { Success: true } fence)
        {
            Results.Add("bucket move under 50 orders/s: the bucket's writes fenced", double.Parse(fence.Groups[1].Value, CultureInfo.InvariantCulture), "ms");
        }
    }

    private static async Task<(int Placed, int Refused)> PlaceUntilAsync(HttpClient http, int[] products, int rate, CancellationToken stop)
    {
        var (placed, refused) = (0, 0);
        var clock = Stopwatch.StartNew();
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, CancellationToken.None);
            }

            if (await PlaceAsync(http, $"bench-move-{Guid.NewGuid():N}", products[0], products[1]) is null)
            {
                refused++;
            }
            else
            {
                placed++;
            }
        }

        return (placed, refused);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"fenced for (\d+) ms")]
    private static partial System.Text.RegularExpressions.Regex FenceMilliseconds();

    /// <summary>Enough stock in every (demo) product that no order is cancelled for want of it; returns their ids.</summary>
    private static async Task<int[]> StockUpAsync(string catalogDb)
    {
        await using var connection = new NpgsqlConnection(catalogDb);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("UPDATE products SET stock = 100000000 RETURNING id", connection);
        var ids = new List<int>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt32(0));
        }

        return [.. ids];
    }

    private static async Task<Row> PlaceAtRateAsync(HttpClient http, string ordersDb, int[] products, int rate, TimeSpan duration)
    {
        var total = (int)(rate * duration.TotalSeconds);
        var placing = new List<Task<Guid?>>(total);
        var run = Guid.NewGuid().ToString("N");
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            // Two lines of different products, picked at random: orders spread over the catalog like a shop's.
            var first = products[Random.Shared.Next(products.Length)];
            var second = products[Random.Shared.Next(products.Length)];
            placing.Add(PlaceAsync(http, $"bench-{run}-{i}", first, second == first ? products[0] : second));
        }

        var accepted = (await Task.WhenAll(placing)).OfType<Guid>().ToArray();
        var acceptedPerSecond = accepted.Length / clock.Elapsed.TotalSeconds;
        await using var connection = new NpgsqlConnection(ordersDb);
        await connection.OpenAsync();
        var deadline = DateTime.UtcNow + Settling;
        while (await ScalarAsync<long>(connection, "SELECT count(*) FROM orders WHERE id = ANY($1) AND status = 'Processing'", accepted) > 0
               && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        await using var command = new NpgsqlCommand("""
            SELECT count(*) FILTER (WHERE status = 'Confirmed'),
                   count(*) FILTER (WHERE status = 'Cancelled'),
                   count(*) FILTER (WHERE status = 'Processing'),
                   extract(epoch FROM max(settled_at) - min(created_at)),
                   1000 * extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY settled_at - created_at)),
                   1000 * extract(epoch FROM percentile_cont(0.99) WITHIN GROUP (ORDER BY settled_at - created_at)),
                   1000 * extract(epoch FROM max(settled_at - created_at))
            FROM orders WHERE id = ANY($1)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = accepted });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var span = reader.IsDBNull(3) ? double.NaN : (double)reader.GetDecimal(3);
        return new Row(rate, acceptedPerSecond, reader.GetInt64(0), reader.GetInt64(0) / span, reader.GetInt64(1), reader.GetInt64(2),
            Milliseconds(reader, 4), Milliseconds(reader, 5), Milliseconds(reader, 6));
    }

    private static double Milliseconds(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? double.NaN : (double)reader.GetDecimal(column);

    private static async Task<Guid?> PlaceAsync(HttpClient http, string idempotencyKey, int firstProduct, int secondProduct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/orders")
        {
            Content = JsonContent.Create(new { items = new[] { new { productId = firstProduct, quantity = 1 }, new { productId = secondProduct, quantity = 2 } } }),
            Headers = { { "Idempotency-Key", idempotencyKey } },
        };
        try
        {
            using var response = await http.SendAsync(request);
            return response.StatusCode == HttpStatusCode.Accepted
                ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid()
                : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException)
        {
            return null; // timed out
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, Guid[] ids)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private sealed record Row(int Offered, double AcceptedPerSecond, long Confirmed, double ConfirmedPerSecond, long Cancelled, long Unsettled,
        double P50Ms, double P99Ms, double MaxMs, string Backlog = "")
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Offered,9}  {AcceptedPerSecond,10:F0}  {ConfirmedPerSecond,11:F0}  {Cancelled,9}  {Unsettled,9}  {P50Ms,7:F0}  {P99Ms,7:F0}  {MaxMs,7:F0}   {Backlog}");
    }
}
