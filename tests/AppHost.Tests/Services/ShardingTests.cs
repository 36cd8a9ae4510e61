using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
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
        var shards = Databases.OrderShards(fixture.App);
        var owners = await BucketOwnersAsync();
        Assert.Equal(Buckets.Count, owners.Count); // every bucket has exactly one owner
        Assert.Equal(shards, owners.Values.Distinct().Order(StringComparer.Ordinal));

        var placed = new List<(Customer Customer, Guid OrderId)>();
        foreach (var customer in await CustomersOnEveryShardAsync(owners))
        {
            using var orders = new ServiceClient(fixture.App, "orders", customer.Token);
            var key = Guid.NewGuid().ToString();
            using var first = await orders.SendJsonAsync(HttpMethod.Post, "/orders", OneMug, ("Idempotency-Key", key));
            using var retry = await orders.SendJsonAsync(HttpMethod.Post, "/orders", OneMug, ("Idempotency-Key", key));
            using var second = await orders.SendJsonAsync(HttpMethod.Post, "/orders", OneMug);
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
        var customer = (await CustomersOnEveryShardAsync(await BucketOwnersAsync(), perShard: 1))[0];
        using var orders = new ServiceClient(fixture.App, "orders", customer.Token);
        var key = Guid.NewGuid().ToString();

        // What a move's fence does on the source shard: the bucket's row goes, and with it the right to write its orders there.
        await ExecuteAsync(customer.Shard, "DELETE FROM shard_buckets WHERE bucket = $1", (short)customer.Bucket);
        try
        {
            using var refused = await orders.SendJsonAsync(HttpMethod.Post, "/orders", OneMug, ("Idempotency-Key", key));

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
        using var accepted = await orders.SendJsonAsync(HttpMethod.Post, "/orders", OneMug, ("Idempotency-Key", key));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(1L, await Databases.ScalarAsync<long>(fixture.App, customer.Shard, "SELECT count(*) FROM orders WHERE idempotency_key = $1", key));
    }

    private static object OneMug => new { items = new[] { new { productId = 1, quantity = 1 } } };

    private sealed record Customer(string Subject, string Token, int Bucket, string Shard);

    /// <summary>Which shard owns each bucket, as the shards' own <c>shard_buckets</c> say (a bucket two shards claim fails the test).</summary>
    private async Task<Dictionary<int, string>> BucketOwnersAsync()
    {
        var owners = new Dictionary<int, string>();
        foreach (var shard in Databases.OrderShards(fixture.App))
        {
            await using var connection = await Databases.OpenAsync(fixture.App, shard);
            await using var command = new Npgsql.NpgsqlCommand("SELECT bucket FROM shard_buckets", connection);
            await using var reader = await command.ExecuteReaderAsync(Cancellation);
            while (await reader.ReadAsync(Cancellation))
            {
                owners.Add(reader.GetInt16(0), shard);
            }
        }

        return owners;
    }

    /// <summary>New customers, registered and signed in (from an address of this test's own: the login limit is per address) until every shard has <paramref name="perShard"/>.</summary>
    private async Task<List<Customer>> CustomersOnEveryShardAsync(Dictionary<int, string> owners, int perShard = CustomersPerShard)
    {
        var identity = new IdentityClient(fixture.App, from: "127.0.0.21");
        var shards = owners.Values.Distinct().ToList();
        var customers = new List<Customer>();
        for (var attempt = 0; shards.Any(s => customers.Count(c => c.Shard == s) < perShard); attempt++)
        {
            Assert.True(attempt < 12 * perShard * shards.Count, $"no new customer fell on some shard in {attempt} registrations");
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
