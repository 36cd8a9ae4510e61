using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.AppHost.Tests.Identity;

namespace Platform.AppHost.Tests.Services;

[Collection(SharedAppCollection.Name)]
public sealed class CatalogTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private async Task<ServiceClient> CustomerAsync() =>
        new(fixture.App, "catalog", await fixture.AccessTokenAsync(IdentityClient.Customer, "catalog"));

    private async Task<ServiceClient> AdminAsync() =>
        new(fixture.App, "catalog", await fixture.AccessTokenAsync(IdentityClient.Admin, "catalog catalog.admin"));

    [Fact]
    public async Task Customers_page_through_the_demo_products_sorted_and_searched()
    {
        using var catalog = await CustomerAsync();

        var first = await catalog.GetJsonAsync<ProductPage>("/products?pageSize=5&sort=-price");
        var second = await catalog.GetJsonAsync<ProductPage>("/products?pageSize=5&sort=-price&page=2");
        var mugs = await catalog.GetJsonAsync<ProductPage>("/products?search=mUG&pageSize=100");

        Assert.True(first.Total >= 48); // the development seed
        Assert.Equal(5, first.Items.Count);
        Assert.Equal(first.Items.OrderByDescending(p => p.Price).Select(p => p.Id), first.Items.Select(p => p.Id));
        Assert.True(first.Items[^1].Price >= second.Items[0].Price);
        Assert.Empty(first.Items.Select(p => p.Id).Intersect(second.Items.Select(p => p.Id)));
        Assert.NotEmpty(mugs.Items);
        Assert.All(mugs.Items, p => Assert.Contains("mug", p.Name, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(mugs.Total, mugs.Items.Count);
    }

    [Fact]
    public async Task A_product_list_is_not_sent_again_while_the_clients_ETag_is_current()
    {
        using var catalog = await CustomerAsync();
        using var first = await catalog.GetAsync("/products?sort=price");
        var etag = first.Headers.ETag!.ToString();

        using var again = await catalog.GetAsync("/products?sort=price", ifNoneMatch: etag);
        using var otherPage = await catalog.GetAsync("/products?sort=price&page=2", ifNoneMatch: etag);

        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Equal(etag, again.Headers.ETag!.ToString());
        Assert.Equal(HttpStatusCode.OK, otherPage.StatusCode);
    }

    [Fact]
    public async Task An_admin_creates_updates_and_restocks_a_product_and_reads_each_change_at_once()
    {
        using var admin = await AdminAsync();
        var name = $"Test lamp {Guid.NewGuid():N}";

        using var created = await admin.SendJsonAsync(HttpMethod.Post, "/products", new { name, description = "bright", price = 12.5m, stock = 3 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var product = (await created.Content.ReadFromJsonAsync<Product>(Cancellation))!;
        Assert.Equal($"/products/{product.Id}", created.Headers.Location!.ToString());
        Assert.Equal(product, await admin.GetJsonAsync<Product>(created.Headers.Location.ToString(), created.ConsistencyToken()));

        using var updated = await admin.SendJsonAsync(HttpMethod.Put, $"/products/{product.Id}", new { name, description = "brighter", price = 14m });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        using var restocked = await admin.SendJsonAsync(HttpMethod.Post, $"/products/{product.Id}/restock", new { quantity = 7 });
        Assert.Equal(10, (await restocked.Content.ReadFromJsonAsync<StockLevel>(Cancellation))!.Stock);

        Assert.Equal(product with { Description = "brighter", Price = 14m, Stock = 10 },
            await admin.GetJsonAsync<Product>($"/products/{product.Id}", restocked.ConsistencyToken()));
    }

    [Fact]
    public async Task An_update_invalidates_the_cached_lists_and_product()
    {
        using var admin = await AdminAsync();
        using var customer = await CustomerAsync();
        var name = $"Cached kite {Guid.NewGuid():N}";
        using var created = await admin.SendJsonAsync(HttpMethod.Post, "/products", new { name, price = 0.01m, stock = 1 });
        var id = (await created.Content.ReadFromJsonAsync<Product>(Cancellation))!.Id;
        const string Cheapest = "/products?sort=price&pageSize=100"; // the first page of the unfiltered list: cached
        using var before = await customer.GetAsync(Cheapest, created.ConsistencyToken());
        var etag = before.Headers.ETag!.ToString();
        Assert.Equal(0.01m, (await customer.GetJsonAsync<Product>($"/products/{id}")).Price);
        using var cached = await customer.GetAsync(Cheapest, ifNoneMatch: etag);
        Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);

        using var updated = await admin.SendJsonAsync(HttpMethod.Put, $"/products/{id}", new { name, price = 0.02m });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);

        // No consistency token: the next reads still see the change, because the update dropped the cached entries.
        using var after = await customer.GetAsync(Cheapest, ifNoneMatch: etag);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.NotEqual(etag, after.Headers.ETag!.ToString());
        Assert.Equal(0.02m, (await after.Content.ReadFromJsonAsync<ProductPage>(Cancellation))!.Items.Single(p => p.Id == id).Price);
        Assert.Equal(0.02m, (await customer.GetJsonAsync<Product>($"/products/{id}")).Price);
    }

    [Fact]
    public async Task Only_the_first_pages_of_the_unfiltered_list_are_cached_searches_and_far_pages_add_no_entry()
    {
        using var customer = await CustomerAsync();
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(await fixture.App.ConnectionStringAsync("redis", Cancellation));
        var server = redis.GetServers().Single();
        var marker = Guid.NewGuid().ToString("N");
        var pageSize = 30 + Random.Shared.Next(60);

        // The catalog writes Redis in the background, and not while it is reconnecting (after a test that stopped Redis):
        // first pages of page sizes not asked for yet, until one lands there — Redis is taking the catalog's writes.
        await FirstPageReachesRedisAsync();
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await customer.GetAsync($"/products?search={marker}{i}")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await customer.GetAsync($"/products?page=9999&pageSize={pageSize}")).StatusCode);
        await FirstPageReachesRedisAsync(); // written after the searches: they had their chance to be written too

        var keys = await server.KeysAsync(pattern: "*products:list:*").Select(k => k.ToString()).ToListAsync(Cancellation);
        Assert.DoesNotContain(keys, k => k.Contains(marker, StringComparison.Ordinal) || k.Contains(":9999:", StringComparison.Ordinal));

        async Task FirstPageReachesRedisAsync() => await Eventually.ReachesAsync(async () =>
        {
            var size = pageSize++;
            Assert.Equal(HttpStatusCode.OK, (await customer.GetAsync($"/products?page=1&pageSize={size}")).StatusCode);
            await Task.Delay(200, Cancellation);
            return await server.KeysAsync(pattern: $"*products:list:name:1:{size}").AnyAsync(Cancellation);
        }, found => found, (bool _) => "no first page reached Redis", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task An_update_with_a_stale_ETag_is_refused_with_412()
    {
        using var admin = await AdminAsync();
        var name = $"Contested chair {Guid.NewGuid():N}";
        using var created = await admin.SendJsonAsync(HttpMethod.Post, "/products", new { name, price = 40m, stock = 1 });
        var staleETag = created.Headers.ETag!.ToString();
        var id = (await created.Content.ReadFromJsonAsync<Product>(Cancellation))!.Id;
        using var first = await admin.SendJsonAsync(HttpMethod.Put, $"/products/{id}", new { name, price = 41m }, ("If-Match", staleETag));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var second = await admin.SendJsonAsync(HttpMethod.Put, $"/products/{id}", new { name, price = 1m }, ("If-Match", staleETag));

        Assert.Equal(HttpStatusCode.PreconditionFailed, second.StatusCode);
        Assert.Equal(41m, (await admin.GetJsonAsync<Product>($"/products/{id}", first.ConsistencyToken())).Price);
    }

    /// <summary>What each bad input answers is tested in memory (tests/Services.Tests/ApiValidationTests.cs); here, that it writes nothing.</summary>
    [Fact]
    public async Task Invalid_products_write_nothing()
    {
        using var admin = await AdminAsync();
        var name = $"Invalid {Guid.NewGuid():N}";

        using var response = await admin.SendJsonAsync(HttpMethod.Post, "/products", new { name, price = -1m, stock = 2_000_000 });
        using var controlCharacters = await admin.SendJsonAsync(HttpMethod.Post, "/products", new { name = name + "\0", price = 1m, stock = 1 });

        Assert.Equal(["price", "stock"], (await ProblemAsync(response)).Errors!.Keys.Order());
        Assert.Equal(["name"], (await ProblemAsync(controlCharacters)).Errors!.Keys);
        Assert.Equal(0L, await Databases.ScalarAsync<long>(fixture.App, "catalogdb", "SELECT count(*) FROM products WHERE name LIKE $1", name + "%"));
    }

    [Fact]
    public async Task Customers_cannot_change_the_catalog_and_strangers_cannot_read_it()
    {
        using var customer = await CustomerAsync();
        using var stranger = new ServiceClient(fixture.App, "catalog", accessToken: null);

        using var create = await customer.SendJsonAsync(HttpMethod.Post, "/products", new { name = "Sneaky", price = 1m, stock = 1 });
        using var read = await stranger.GetAsync("/products");

        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
    }

    [Fact]
    public async Task Reads_and_writes_keep_working_while_Redis_is_down()
    {
        using var admin = await AdminAsync();
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        Assert.True((await commands.ExecuteCommandAsync("redis", KnownResourceCommands.StopCommand, Cancellation)).Success);
        try
        {
            var name = $"Offline umbrella {Guid.NewGuid():N}";
            var uncached = await admin.GetJsonAsync<ProductPage>($"/products?search={name}");
            using var created = await admin.SendJsonAsync(HttpMethod.Post, "/products", new { name, price = 9m, stock = 1 });
            var found = await admin.GetJsonAsync<ProductPage>($"/products?search={name}", created.ConsistencyToken());

            Assert.Equal(0, uncached.Total);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal(name, found.Items.Single().Name);
        }
        finally
        {
            await fixture.App.StartAgainAsync("redis", Cancellation);
        }

        // Back to normal once Redis is back.
        Assert.NotEmpty((await admin.GetJsonAsync<ProductPage>("/products?sort=-name")).Items);
    }

    private static async Task<Problem> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<Problem>(Cancellation))!;
    }
}
