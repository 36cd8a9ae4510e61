using Platform.AppHost.Tests.Identity;
using Platform.AppHost.Tests.Services;

namespace Platform.AppHost.Tests.Operations;

/// <summary>
/// The services' own metrics, read where Prometheus reads them (each process's scrape endpoint): an order moves them in
/// every service on its way, and every series the alert rules read is really exported.
/// </summary>
[Collection(SharedAppCollection.Name)]
public sealed class MetricsTests(SharedAppFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static readonly string[] Services =
    [
        "identity", "catalog", "orders", "gateway",
//#if (web)
        "web",
//#endif
//#if (workers)
        "inventory", "payments",
//#endif
    ];

//#if (workers)
    [Fact]
    public async Task An_order_moves_the_metrics_of_every_service_on_its_way()
    {
        var flow = new OrderFlow(fixture);
        var productId = await flow.CreateProductAsync(price: 4m, stock: 5);
        var before = await ScrapeAsync("orders");
        var inventoryBefore = await ScrapeAsync("inventory");
        var paymentsBefore = await ScrapeAsync("payments");

        Assert.Equal("confirmed", (await flow.PlaceAndSettleAsync(productId, quantity: 1)).Status);

        // Counted where it happened: ≥, because an order of an earlier test may settle meanwhile.
        await Eventually.ReachesAsync(() => ScrapeAsync("orders"), after =>
                Moved(before, after, "orders_placed_total") >= 1
                && Moved(before, after, "orders_settled_total", "order_status=\"confirmed\"") >= 1
                && Moved(before, after, "orders_settle_duration_seconds_count", "order_status=\"confirmed\"") >= 1
                && Moved(before, after, "messaging_outbox_published_total", "db_namespace=\"ordersdb") >= 2 // placed, settled (any shard)
                && Moved(before, after, "db_replica_reads_total", "db_namespace=\"ordersdb") >= 1,
            after => $"orders' metrics did not move: {Describe(before, after, "orders_", "messaging_outbox_published", "db_replica_reads")}", Patience);
        await Eventually.ReachesAsync(() => ScrapeAsync("inventory"),
            after => Moved(inventoryBefore, after, "inventory_reservations_total", "outcome=\"reserved\"") >= 1,
            after => $"inventory's metrics did not move: {Describe(inventoryBefore, after, "inventory_")}", Patience);
        await Eventually.ReachesAsync(() => ScrapeAsync("payments"),
            after => Moved(paymentsBefore, after, "payments_charges_total", "outcome=\"approved\"") >= 1
                && Moved(paymentsBefore, after, "payments_provider_duration_seconds_count") >= 1,
            after => $"payments' metrics did not move: {Describe(paymentsBefore, after, "payments_")}", Patience);
    }
//#endif

    [Fact]
    public async Task A_product_read_again_is_counted_as_a_cache_hit_in_memory()
    {
        var before = await ScrapeAsync("catalog");
        using var catalog = new ServiceClient(fixture.App, "catalog", await fixture.AccessTokenAsync(IdentityClient.Customer, "catalog"));
        for (var i = 0; i < 6; i++)
        {
            using var read = await catalog.GetAsync("/products/1"); // a seeded product; the reads spread over the instances
            read.EnsureSuccessStatusCode();
        }

        await Eventually.ReachesAsync(() => ScrapeAsync("catalog"),
            after => Moved(before, after, "catalog_cache_lookups_total", "cache_result=\"l1_hit\"") >= 1
                && Moved(before, after, "catalog_cache_lookups_total") >= 6,
            after => $"the catalog cache's metrics did not move: {Describe(before, after, "catalog_cache")}", Patience);
    }

    [Fact]
    public async Task Prometheus_scrapes_every_service_and_finds_every_series_the_alert_rules_read()
    {
        var targets = new List<(string Job, Uri Address, string Path)>();
        foreach (var service in Services)
        {
            targets.AddRange((await ServiceMetrics.EndpointsAsync(fixture.App, service)).Select(endpoint => (service, endpoint, "/metrics")));
        }

        await using var prometheus = await PrometheusServer.StartAsync(targets, AlertRules.WithoutPendingTime());
        // A read in the last minute: the replica lag gauge reports the latest one's.
        using (var orders = new ServiceClient(fixture.App, "orders", await fixture.AccessTokenAsync(IdentityClient.Customer, "orders")))
        {
            using var list = await orders.GetAsync("/orders");
            list.EnsureSuccessStatusCode();
        }

        var read = AlertRules.MetricNames("").Where(name => !name.StartsWith("rabbitmq_", StringComparison.Ordinal)).ToHashSet();
        Assert.Contains("orders_processing_oldest_age_seconds", read);
        await Eventually.ReachesAsync(prometheus.MetricNamesAsync, names => read.IsSubsetOf(names),
            names => $"not exported by any service: {string.Join(", ", read.Except(names))}", TimeSpan.FromSeconds(45));

        // Every process scraped, in the job of its service.
        var expected = targets.Select(t => $"{t.Job} {t.Address.Authority}").Order().ToList();
        await Eventually.ReachesAsync(() => prometheus.QueryAsync("up == 1"),
            up => expected.SequenceEqual(up.Select(u => $"{u.Labels["job"]} {u.Labels["instance"]}").Order()),
            up => $"targets: {string.Join(", ", expected)}; scraped: {string.Join(", ", up.Select(u => $"{u.Labels["job"]} {u.Labels["instance"]}"))}",
            TimeSpan.FromSeconds(15));
        var health = await prometheus.QueryAsync("health_status");
        Assert.Equal(Services.Order(), health.Select(h => h.Labels["job"]).Distinct().Order());
    }

    private Task<MetricsPage> ScrapeAsync(string service) => ServiceMetrics.ScrapeAsync(fixture.App, service);

    private static double Moved(MetricsPage before, MetricsPage after, string name, params string[] labels) =>
        after.Sum(name, labels) - before.Sum(name, labels);

    private static string Describe(MetricsPage before, MetricsPage after, params string[] prefixes) => string.Join("; ",
        after.Names.Where(n => prefixes.Any(p => n.StartsWith(p, StringComparison.Ordinal))).Order()
            .Select(n => $"{n} {before.Sum(n)} → {after.Sum(n)}"));
}
