using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.AppHost.Tests.Identity;
using Platform.Data;

namespace Platform.AppHost.Tests.Services;

/// <summary>
/// Replication is made to lag on purpose (replay paused on every replica); a client that sends back its
/// consistency token must still see its write, and one that does not gets the replica's older view.
/// </summary>
[Collection(SharedAppCollection.Name)]
public sealed class ReadYourWritesTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_customer_sees_the_order_just_placed_while_the_replicas_lag()
    {
        using var orders = new ServiceClient(fixture.App, "orders", await fixture.AccessTokenAsync(IdentityClient.Customer, "orders"));
        // A read without a token goes to a replica only while the service has one in rotation: right after another test
        // stopped or restarted a replica, Npgsql may still count it offline (it checks again after 10 s) and the read
        // goes to the primary, as designed. So: until a read without the token lands on a replica, 30 s at most.
        var withoutToken = new List<HttpStatusCode>();
        for (var deadline = DateTime.UtcNow.AddSeconds(30); !withoutToken.Contains(HttpStatusCode.NotFound) && DateTime.UtcNow < deadline;)
        {
            await using (await PausedReplicas.PauseAsync(fixture.App, "ordersdb"))
            {
                using var placed = await orders.SendJsonAsync(HttpMethod.Post, "/orders", new { items = new[] { new { productId = 2, quantity = 1 } } });
                var location = placed.Headers.Location!.ToString();

                using var stale = await orders.GetAsync(location);
                using var withToken = await orders.GetAsync(location, placed.ConsistencyToken());

                withoutToken.Add(stale.StatusCode);
                Assert.Equal(HttpStatusCode.OK, withToken.StatusCode); // always: the token sends it where the order is
            }

            if (!withoutToken.Contains(HttpStatusCode.NotFound))
            {
                await Task.Delay(TimeSpan.FromSeconds(2), Cancellation);
            }
        }

        // The replica has not replayed the order: without the token, the customer gets the replica's older view.
        Assert.Contains(HttpStatusCode.NotFound, withoutToken);
    }

    [Fact]
    public async Task An_admin_sees_a_new_product_while_the_replicas_lag()
    {
        using var admin = new ServiceClient(fixture.App, "catalog", await fixture.AccessTokenAsync(IdentityClient.Admin, "catalog catalog.admin"));
        await using (await PausedReplicas.PauseAsync(fixture.App, "catalogdb"))
        {
            var name = $"Lagging lantern {Guid.NewGuid():N}";
            using var created = await admin.SendJsonAsync(HttpMethod.Post, "/products", new { name, price = 3m, stock = 1 });

            var found = await admin.GetJsonAsync<ProductPage>($"/products?search={name}", created.ConsistencyToken());

            Assert.Equal(name, found.Items.Single().Name);
        }
    }

    [Fact]
    public async Task A_token_beyond_anything_the_primary_wrote_is_400_on_the_cached_catalog_and_on_orders()
    {
        using var catalog = new ServiceClient(fixture.App, "catalog", await fixture.AccessTokenAsync(IdentityClient.Customer, "catalog"));
        using var orders = new ServiceClient(fixture.App, "orders", await fixture.AccessTokenAsync(IdentityClient.Customer, "orders"));
        using var placed = await orders.SendJsonAsync(HttpMethod.Post, "/orders", new { items = new[] { new { productId = 2, quantity = 1 } } });
        var genuine = placed.ConsistencyToken();
        Assert.True(ConsistencyToken.TryParse(genuine, out var parsed));
        Assert.NotEqual(0UL, parsed.Cluster); // the token names its cluster
        var forged = $"{parsed.Cluster:x16}:7FFFFFFF/FFFFFFFF";
        var otherClusters = $"{parsed.Cluster ^ 1:x16}:7FFFFFFF/FFFFFFFF"; // a write on another cluster (a shard's own, in a deployment)

        foreach (var (client, path) in new[] { (catalog, "/products"), (catalog, "/products/1"), (orders, "/orders"), (orders, placed.Headers.Location!.ToString()) })
        {
            using var refused = await client.GetAsync(path, forged);
            using var bare = await client.GetAsync(path, "7FFFFFFF/FFFFFFFF"); // a position alone is taken as this cluster's
            using var real = await client.GetAsync(path, genuine);
            using var foreign = await client.GetAsync(path, otherClusters);

            Assert.Equal([HttpStatusCode.BadRequest, HttpStatusCode.BadRequest], new[] { refused.StatusCode, bare.StatusCode });
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Contains("Consistency-Token", await refused.Content.ReadAsStringAsync(Cancellation), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, real.StatusCode); // a real token from another service's write is behind the primary too
            Assert.Equal(HttpStatusCode.OK, foreign.StatusCode); // nothing here to wait for: ignored
        }
    }

    /// <summary>
    /// The building block itself, on the platform's catalog database, with a 3-second lag bound: the stale read must come
    /// within 3 s of the insert (room for a slow machine), the bounded one after it.
    /// </summary>
    [Fact]
    public async Task Reads_use_a_replica_unless_it_lacks_the_token_or_lags_beyond_the_bound()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:probe"] = await fixture.App.ConnectionStringAsync("catalogdb", Cancellation),
            ["ConnectionStrings:probe-readonly"] = await fixture.App.ConnectionStringAsync("catalogdb-readonly", Cancellation),
            ["ReadReplicas:MaxLag"] = "00:00:03",
            ["ReadReplicas:SampleInterval"] = "00:00:00.100",
        });
        builder.AddReplicatedDatabase<ProbeDb>("probe");
        using var host = builder.Build();
        await host.StartAsync(Cancellation);
        var database = host.Services.GetRequiredService<ReplicatedDatabase<ProbeDb>>();
        var table = $"ryw_probe_{Guid.NewGuid():N}";
        await ExecuteAsync(database, $"CREATE TABLE {table} (id int PRIMARY KEY)");
        await using (var caughtUp = await database.ReadAsync(await database.WrittenAsync(Cancellation), Cancellation))
        {
            Assert.True(caughtUp.OnReplica);
        }

        await using (await PausedReplicas.PauseAsync(fixture.App, "catalogdb"))
        {
            await ExecuteAsync(database, $"INSERT INTO {table} VALUES (1)");
            var token = await database.WrittenAsync(Cancellation);

            await using (var stale = await database.ReadAsync(null, Cancellation))
            {
                Assert.True(stale.OnReplica); // behind, but within the bound
                Assert.Equal(0, await CountAsync(stale, table));
            }

            await using (var mine = await database.ReadAsync(token, Cancellation))
            {
                Assert.False(mine.OnReplica);
                Assert.Equal(1, await CountAsync(mine, table));
            }

            // The same position written on another cluster names nothing this one has to replay: the replica serves it.
            Assert.NotEqual(0UL, token.Cluster);
            await using (var foreign = await database.ReadAsync(token with { Cluster = token.Cluster ^ 1 }, Cancellation))
            {
                Assert.True(foreign.OnReplica);
            }

            await Task.Delay(TimeSpan.FromSeconds(3.5), Cancellation);
            await using (var bounded = await database.ReadAsync(null, Cancellation))
            {
                Assert.False(bounded.OnReplica); // now more than 3 s behind
                Assert.Equal(1, await CountAsync(bounded, table));
            }
        }

        await using (var resumed = await database.ReadAsync(await database.WrittenAsync(Cancellation), Cancellation))
        {
            Assert.True(resumed.OnReplica);
            Assert.Equal(1, await CountAsync(resumed, table));
        }

        await ExecuteAsync(database, $"DROP TABLE {table}");
        await host.StopAsync(Cancellation);
    }

    private static async Task ExecuteAsync(ReplicatedDatabase<ProbeDb> database, string sql)
    {
        await using var command = database.Primary.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Cancellation);
    }

    private static async Task<int> CountAsync(ReadSession<ProbeDb> read, string table)
    {
        // The session's own connection: the server the read was routed to.
        await using var command = read.Db.Database.GetDbConnection().CreateCommand();
        command.CommandText = $"SELECT count(*)::int FROM {table}";
        return (int)(await command.ExecuteScalarAsync(Cancellation))!;
    }

    public sealed class ProbeDb(DbContextOptions<ProbeDb> options) : DbContext(options);
}
