using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.AppHost.Operations;
using Platform.AppHost.Tests.Identity;
using Platform.Data.Sharding;

namespace Platform.AppHost.Tests.Services;

/// <summary>
/// Orders are sharded by customer: every bucket has one owning shard (as the shards themselves say), a customer's orders are
/// all on the shard of their bucket, and a bucket no shard owns — the fence of a move — is refused with 503, never written.
/// </summary>
[Collection(SharedAppCollection.Name)]
public sealed class ShardingTests(SharedAppFixture fixture)
{
    private const int CustomersPerShard = 2;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_customers_orders_are_on_the_shard_of_their_bucket_and_customers_spread_over_every_shard()
    {
        var basket = OneOf(await ProductAsync());
        var shards = Databases.OrderShards(fixture.App);
        var owners = await BucketOwnersAsync();
        Assert.Equal(Buckets.Count, owners.Count); // every bucket has exactly one owner
        Assert.Equal(shards, owners.Values.Distinct().Order(StringComparer.Ordinal));

        var placed = new List<(Customer Customer, Guid OrderId)>();
        foreach (var customer in await CustomersOnEveryShardAsync(owners))
        {
            using var orders = new ServiceClient(fixture.App, "orders", customer.Token);
            var key = Guid.NewGuid().ToString();
            using var first = await orders.SendJsonAsync(HttpMethod.Post, "/orders", basket, ("Idempotency-Key", key));
            using var retry = await orders.SendJsonAsync(HttpMethod.Post, "/orders", basket, ("Idempotency-Key", key));
            using var second = await orders.SendJsonAsync(HttpMethod.Post, "/orders", basket);
            Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted], new[] { first.StatusCode, retry.StatusCode, second.StatusCode });
            var firstId = (await first.Content.ReadFromJsonAsync<OrderAccepted>(Cancellation))!.OrderId;
            var secondId = (await second.Content.ReadFromJsonAsync<OrderAccepted>(Cancellation))!.OrderId;
            Assert.Equal(firstId, (await retry.Content.ReadFromJsonAsync<OrderAccepted>(Cancellation))!.OrderId);

            // The ids carry the customer's bucket; the rows are on its shard, and on no other.
            Assert.All(new[] { firstId, secondId }, id => Assert.Equal(customer.Bucket, Buckets.Of(id)));
            foreach (var shard in shards)
            {
                var rows = await Databases.ScalarAsync<long>(fixture.App, shard, "SELECT count(*) FROM orders WHERE buyer_id = $1 AND bucket = $2",
                    customer.Subject, (short)customer.Bucket);
                Assert.Equal(shard == customer.Shard ? 2L : 0L, rows);
            }

            // Read back by id and in the customer's list, with read-your-writes on the shard's replicas.
            Assert.Equal(secondId, (await orders.GetJsonAsync<Order>($"/orders/{secondId}", second.ConsistencyToken())).Id);
            var page = await orders.GetJsonAsync<OrderPage>("/orders", second.ConsistencyToken());
            Assert.Equal([secondId, firstId], page.Items.Select(o => o.Id));
            placed.AddRange([(customer, firstId), (customer, secondId)]);
        }
//#if (workers)

        // The event flow settles the orders of every shard: each outcome finds the order's shard by its id.
        foreach (var (customer, orderId) in placed)
        {
            using var orders = new ServiceClient(fixture.App, "orders", customer.Token);
            await Eventually.ReachesAsync(() => orders.GetJsonAsync<Order>($"/orders/{orderId}"), order => order.Status == "confirmed",
                order => $"order {orderId} on {customer.Shard} is still {order.Status}", Patience);
        }
//#endif
    }

    [Fact]
    public async Task A_bucket_no_shard_owns_is_refused_with_503_and_retry_after_and_the_retry_succeeds_once_it_is_owned_again()
    {
        var basket = OneOf(await ProductAsync());
        var customer = (await CustomersOnEveryShardAsync(await BucketOwnersAsync(), perShard: 1))[0];
        using var orders = new ServiceClient(fixture.App, "orders", customer.Token);
        var key = Guid.NewGuid().ToString();

        // What a move's fence does on the source shard: the bucket's row goes, and with it the right to write its orders there.
        await ExecuteAsync(customer.Shard, "DELETE FROM shard_buckets WHERE bucket = $1", (short)customer.Bucket);
        try
        {
            using var refused = await orders.SendJsonAsync(HttpMethod.Post, "/orders", basket, ("Idempotency-Key", key));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("1", refused.Header("Retry-After"));
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal(0L, await Databases.CountOrdersAsync(fixture.App, "SELECT count(*) FROM orders WHERE idempotency_key = $1", key));
        }
        finally
        {
            await ExecuteAsync(customer.Shard, "INSERT INTO shard_buckets (bucket) VALUES ($1)", (short)customer.Bucket);
        }

        // The client's retry with the same key, after the second Retry-After asks for: placed once, on the shard that owns the bucket again.
        await Task.Delay(TimeSpan.FromSeconds(1), Cancellation);
        using var accepted = await orders.SendJsonAsync(HttpMethod.Post, "/orders", basket, ("Idempotency-Key", key));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(1L, await Databases.ScalarAsync<long>(fixture.App, customer.Shard, "SELECT count(*) FROM orders WHERE idempotency_key = $1", key));
    }

    [Fact]
    public async Task A_bucket_moved_while_its_customer_places_orders_has_every_order_on_the_new_shard_once_readable_and_settled()
    {
        var customer = (await CustomersOnEveryShardAsync(await BucketOwnersAsync(), perShard: 1))[0];
        var target = Databases.OrderShards(fixture.App).First(shard => shard != customer.Shard);
        using var orders = new ServiceClient(fixture.App, "orders", customer.Token);
        using var stop = new CancellationTokenSource();
        var placing = PlaceUntilStoppedAsync(orders, OneOf(await ProductAsync()), stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(1), Cancellation); // orders on the source before the move

        var moved = await Databases.MoveBucketAsync(fixture.App, customer.Bucket, target);
        Assert.True(moved.Success, moved.Message);
        TestContext.Current.SendDiagnosticMessage(moved.Message ?? "");
        await Task.Delay(TimeSpan.FromSeconds(1), Cancellation); // and on the target after it
        await stop.CancelAsync();
        var placed = await placing;

        Assert.True(placed.Count >= 10, $"only {placed.Count} orders placed");
        Assert.Equal(target, (await BucketOwnersAsync())[customer.Bucket]);
        var ids = placed.Select(p => p.Id).ToArray();
        Assert.Equal((long)ids.Length, await Databases.ScalarAsync<long>(fixture.App, target, "SELECT count(*) FROM orders WHERE id = ANY($1)", ids));
        Assert.Equal(0L, await Databases.ScalarAsync<long>(fixture.App, customer.Shard, "SELECT count(*) FROM orders WHERE bucket = $1", (short)customer.Bucket));
        var listed = new List<Guid>();
        for (var page = 1; listed.Count < ids.Length && page <= (ids.Length / 100) + 1; page++)
        {
            // With the last order's token: the replica read has replayed every order (the test's MaxLag allows a minute's lag).
            listed.AddRange((await orders.GetJsonAsync<OrderPage>($"/orders?pageSize=100&page={page}", placed[^1].Token)).Items.Select(o => o.Id));
        }

        Assert.Equal(ids.Order(), listed.Order());
//#if (workers)
        // Settled on the new shard: every outcome found the order where it is now.
        await Eventually.ReachesAsync(() => Databases.ScalarAsync<long>(fixture.App, target, "SELECT count(*) FROM orders WHERE id = ANY($1) AND status <> 'Processing'", ids),
            settled => settled == ids.Length, settled => $"{ids.Length - settled} of {ids.Length} orders still processing after the move", Patience);
//#endif
    }

    [Fact]
    public async Task Operators_list_every_order_once_newest_first_across_shards_and_pages()
    {
        var basket = OneOf(await ProductAsync());
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var placed = new Dictionary<Guid, string>(); // order → shard
        var customers = await CustomersOnEveryShardAsync(await BucketOwnersAsync(), perShard: 1);
        foreach (var customer in customers)
        {
            using var orders = new ServiceClient(fixture.App, "orders", customer.Token);
            for (var i = 0; i < 3; i++)
            {
                using var response = await orders.SendJsonAsync(HttpMethod.Post, "/orders", basket);
                placed[(await response.Content.ReadFromJsonAsync<OrderAccepted>(Cancellation))!.OrderId] = customer.Shard;
            }
        }

        using var admin = new ServiceClient(fixture.App, "orders", await fixture.AccessTokenAsync(IdentityClient.Admin, "orders orders.admin"));
        async Task<List<OperatorsOrder>> ListAllAsync()
        {
            var all = new List<OperatorsOrder>();
            string? next = null;
            do
            {
                var page = await admin.GetJsonAsync<OperatorsPage>($"/admin/orders?pageSize=4&from={Uri.EscapeDataString(since.ToString("O"))}" +
                    (next is null ? "" : $"&after={next}"));
                Assert.Empty(page.UnavailableShards);
                Assert.InRange(page.Items.Count, 0, 4);
                all.AddRange(page.Items);
                next = page.Next;
            }
            while (next is not null);
            return all;
        }

        // The list reads replicas without a token (bounded staleness): the last orders may take a moment to appear.
        var listed = await Eventually.ReachesAsync(ListAllAsync, all => placed.Keys.All(id => all.Any(o => o.Id == id)),
            all => $"{placed.Keys.Count(id => all.All(o => o.Id != id))} of {placed.Count} orders not listed", Patience);

        // Every order once (these customers' and whatever else was placed meanwhile), newest first across pages and shards.
        Assert.Equal(listed.Count, listed.Select(o => o.Id).Distinct().Count());
        Assert.Equal(listed.Select(o => o.CreatedAt).OrderDescending(), listed.Select(o => o.CreatedAt));
        var mine = listed.Where(o => customers.Any(c => c.Subject == o.BuyerId)).ToList();
        Assert.Equal(placed.Keys.Order(), mine.Select(o => o.Id).Order());
        Assert.All(mine, o => Assert.Equal(placed[o.Id], o.Shard));
        Assert.Equal(Databases.OrderShards(fixture.App), mine.Select(o => o.Shard).Distinct().Order(StringComparer.Ordinal));

        // Bad input is a 400; a customer is no operator.
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/admin/orders?status=shipped")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/admin/orders?after=not-a-cursor")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/admin/orders?pageSize=0")).StatusCode);
        using var customerClient = new ServiceClient(fixture.App, "orders", await fixture.AccessTokenAsync(IdentityClient.Customer, "orders orders.admin"));
        Assert.Equal(HttpStatusCode.Forbidden, (await customerClient.GetAsync("/admin/orders")).StatusCode);
    }

    [Fact]
    public async Task With_one_shard_down_its_customers_get_503_the_others_are_served_and_nothing_is_lost()
    {
        var basket = OneOf(await ProductAsync());
        var customers = await CustomersOnEveryShardAsync(await BucketOwnersAsync(), perShard: 1);
        var (down, up) = (customers.Single(c => c.Shard == "ordersdb2"), customers.Single(c => c.Shard != "ordersdb2"));
        using var downOrders = new ServiceClient(fixture.App, "orders", down.Token);
        using var upOrders = new ServiceClient(fixture.App, "orders", up.Token);
        using var admin = new ServiceClient(fixture.App, "orders", await fixture.AccessTokenAsync(IdentityClient.Admin, "orders orders.admin"));
        var key = Guid.NewGuid().ToString();

        // The drill on the shard's database: it refuses connections (for 5 minutes, ended below), as when the shard's server is down.
        var offline = await fixture.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(down.Shard, ShardOutageDrill.Command,
            new InteractionInputCollection([new InteractionInput { Name = "seconds", Label = "seconds", InputType = InputType.Number, Value = "300" }]),
            Cancellation);
        Assert.True(offline.Success, offline.Message);
        try
        {
            using var refused = await downOrders.SendJsonAsync(HttpMethod.Post, "/orders", basket, ("Idempotency-Key", key));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("1", refused.Header("Retry-After"));

            using var served = await upOrders.SendJsonAsync(HttpMethod.Post, "/orders", basket);
            Assert.Equal(HttpStatusCode.Accepted, served.StatusCode);
            var servedId = (await served.Content.ReadFromJsonAsync<OrderAccepted>(Cancellation))!.OrderId;
            Assert.Equal(servedId, (await upOrders.GetJsonAsync<Order>($"/orders/{servedId}", served.ConsistencyToken())).Id);

            // The operators' list flags the shard, and has the other's new order (once its replica has it).
            await Eventually.ReachesAsync(() => admin.GetJsonAsync<OperatorsPage>("/admin/orders?pageSize=5"),
                page => page.UnavailableShards.SequenceEqual([down.Shard]) && page.Items.Any(o => o.Id == servedId),
                page => $"unavailable: {string.Join(", ", page.UnavailableShards)}; {page.Items.Count} orders", Patience);

            // The service stays in the gateway's rotation: degraded, not unready.
            using var health = new HttpClient { BaseAddress = fixture.App.GetEndpoint("orders", "http") };
            await Eventually.ReachesAsync(async () => await health.GetStringAsync(new Uri("/health", UriKind.Relative), Cancellation), text => text == "Degraded",
                text => $"orders' /health says {text}", Patience);
        }
        finally
        {
            await fixture.App.ServerCommandAsync($"ALTER DATABASE {down.Shard} WITH ALLOW_CONNECTIONS true"); // back, before the drill would
        }

        // The refused customer's retry, with the same key, once the shard is back: placed once.
        await Eventually.ReachesAsync(async () =>
            {
                using var retry = await downOrders.SendJsonAsync(HttpMethod.Post, "/orders", basket, ("Idempotency-Key", key));
                return retry.StatusCode;
            }, status => status == HttpStatusCode.Accepted, status => $"the retry is still {status}", Patience);
        Assert.Equal(1L, await Databases.ScalarAsync<long>(fixture.App, down.Shard, "SELECT count(*) FROM orders WHERE idempotency_key = $1", key));

        // And its reads: Npgsql keeps hosts that failed marked down for a few seconds (Host Recheck Seconds) before trying them again.
        await Eventually.ReachesAsync(async () =>
            {
                using var list = await downOrders.GetAsync("/orders");
                return (list.StatusCode, (await admin.GetJsonAsync<OperatorsPage>("/admin/orders?pageSize=1")).UnavailableShards.Count);
            }, read => read is (HttpStatusCode.OK, 0), read => $"after the outage: the customer's list {read.StatusCode}, {read.Count} shards unavailable", Patience);
    }

    private sealed record OperatorsOrder(Guid Id, string BuyerId, string Status, DateTimeOffset CreatedAt, string Shard);

    private sealed record OperatorsPage(IReadOnlyList<OperatorsOrder> Items, string? Next, IReadOnlyList<string> UnavailableShards);

    /// <summary>Orders one after the other, each with its key and sent again after a 503's Retry-After until accepted: the ids of those placed.</summary>
    private static async Task<List<(Guid Id, string Token)>> PlaceUntilStoppedAsync(ServiceClient orders, object basket, CancellationToken stop)
    {
        var placed = new List<(Guid, string)>();
        while (!stop.IsCancellationRequested)
        {
            var key = Guid.NewGuid().ToString();
            while (true)
            {
                using var response = await orders.SendJsonAsync(HttpMethod.Post, "/orders", basket, ("Idempotency-Key", key));
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    placed.Add(((await response.Content.ReadFromJsonAsync<OrderAccepted>(Cancellation))!.OrderId, response.ConsistencyToken()));
                    break;
                }

                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                await Task.Delay(TimeSpan.FromSeconds(int.Parse(response.Header("Retry-After")!, CultureInfo.InvariantCulture)), Cancellation);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), Cancellation);
        }

        return placed;
    }

    private static object OneOf(int productId) => new { items = new[] { new { productId, quantity = 1 } } };

    /// <summary>
    /// A product of the test's own with stock for every order it places: the seeded products' stock is shared with the other
    /// tests (which run in another order in a renamed solution), and an order cancelled for want of stock is no test of routing.
    /// </summary>
    private async Task<int> ProductAsync()
    {
        using var admin = new ServiceClient(fixture.App, "catalog", await fixture.AccessTokenAsync(IdentityClient.Admin, "catalog catalog.admin"));
        using var created = await admin.SendJsonAsync(HttpMethod.Post, "/products", new { name = $"Shard item {Guid.NewGuid():N}", price = 1m, stock = 100_000 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<Product>(Cancellation))!.Id;
    }

    private sealed record Customer(string Subject, string Token, int Bucket, string Shard);

    /// <summary>Which shard owns each bucket, as the shards' own <c>shard_buckets</c> say (a bucket two shards claim fails the test).</summary>
    private Task<Dictionary<int, string>> BucketOwnersAsync() => Databases.BucketOwnersAsync(fixture.App);

    private static int _addresses;

    /// <summary>
    /// New customers, registered and signed in until every shard has <paramref name="perShard"/>, each from a loopback address
    /// of its own (127.0.1.x): the login limit counts per address, and these are not the attempts it is there to stop.
    /// </summary>
    private async Task<List<Customer>> CustomersOnEveryShardAsync(Dictionary<int, string> owners, int perShard = CustomersPerShard)
    {
        var shards = owners.Values.Distinct().ToList();
        var customers = new List<Customer>();
        for (var attempt = 0; shards.Any(s => customers.Count(c => c.Shard == s) < perShard); attempt++)
        {
            Assert.True(attempt < 12 * perShard * shards.Count, $"no new customer fell on some shard in {attempt} registrations");
            var identity = new IdentityClient(fixture.App, from: $"127.0.1.{(Interlocked.Increment(ref _addresses) % 250) + 1}");
            var email = $"shards-{Guid.NewGuid():N}@example.test";
            using var registered = await identity.RegisterAsync(email, BadRequests.WalkerPassword, Cancellation);
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            var token = (await identity.LogInAsync(email, BadRequests.WalkerPassword, "orders", Cancellation)).AccessToken;
            var subject = SubjectOf(token);
            var bucket = Buckets.Of(subject);
            if (customers.Count(c => c.Shard == owners[bucket]) < perShard)
            {
                customers.Add(new Customer(subject, token, bucket, owners[bucket]));
            }
        }

        return customers;
    }

    private static string SubjectOf(string accessToken)
    {
        var payload = accessToken.Split('.')[1].Replace('-', '+').Replace('_', '/');
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=')));
        return JsonDocument.Parse(json).RootElement.GetProperty("sub").GetString()!;
    }

    private async Task ExecuteAsync(string shard, string sql, params object[] parameters)
    {
        await using var connection = await Databases.OpenAsync(fixture.App, shard);
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync(Cancellation);
    }
}
