using System.Net;
using System.Net.Http.Json;
using Platform.AppHost.Tests.Identity;

namespace Platform.AppHost.Tests.Services;

[Collection(SharedAppCollection.Name)]
public sealed class OrdersTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private async Task<ServiceClient> OrdersAsync(string user = IdentityClient.Customer) =>
        new(fixture.App, "orders", await fixture.AccessTokenAsync(user, "orders"));

    private static object OneMug(int quantity = 2) => new { items = new[] { new { productId = 1, quantity } } };

    [Fact]
    public async Task Placing_an_order_answers_202_processing_with_its_location()
    {
        using var orders = await OrdersAsync();

        using var response = await orders.SendJsonAsync(HttpMethod.Post, "/orders",
            new { items = new[] { new { productId = 3, quantity = 1 }, new { productId = 1, quantity = 2 } } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = (await response.Content.ReadFromJsonAsync<OrderAccepted>(Cancellation))!;
        Assert.Equal("processing", accepted.Status);
        Assert.Equal($"/orders/{accepted.OrderId}", response.Headers.Location!.ToString());
        var order = await orders.GetJsonAsync<Order>(response.Headers.Location.ToString(), response.ConsistencyToken());
        Assert.Equal(accepted.OrderId, order.Id);
        // Read back at once, but the workers may have settled it already: the answer is 202 processing, not the state after it.
        Assert.True(order.Status is "processing" or "confirmed", order.Status);
        Assert.Equal([(1, 2), (3, 1)], order.Items.Select(i => (i.ProductId, i.Quantity)));
    }

    [Fact]
    public async Task A_retried_order_with_the_same_idempotency_key_is_the_same_order_stored_once()
    {
        using var orders = await OrdersAsync();
        var key = Guid.NewGuid().ToString();

        using var first = await orders.SendJsonAsync(HttpMethod.Post, "/orders", OneMug(), ("Idempotency-Key", key));
        using var retry = await orders.SendJsonAsync(HttpMethod.Post, "/orders", OneMug(), ("Idempotency-Key", key));

        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal((await first.Content.ReadFromJsonAsync<OrderAccepted>(Cancellation))!.OrderId,
            (await retry.Content.ReadFromJsonAsync<OrderAccepted>(Cancellation))!.OrderId);
        Assert.Equal("true", retry.Header("Idempotent-Replayed"));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM orders WHERE idempotency_key = $1", key));
    }

    [Fact]
    public async Task Concurrent_retries_with_one_idempotency_key_make_one_order()
    {
        using var orders = await OrdersAsync();
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6)
            .Select(_ => orders.SendJsonAsync(HttpMethod.Post, "/orders", OneMug(), ("Idempotency-Key", key))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var ids = await Task.WhenAll(responses.Select(async r => (await r.Content.ReadFromJsonAsync<OrderAccepted>(Cancellation))!.OrderId));
        Assert.Single(ids.Distinct());
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM orders WHERE idempotency_key = $1", key));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task An_idempotency_key_reused_for_a_different_order_is_refused()
    {
        using var orders = await OrdersAsync();
        var key = Guid.NewGuid().ToString();
        using var first = await orders.SendJsonAsync(HttpMethod.Post, "/orders", OneMug(1), ("Idempotency-Key", key));

        using var different = await orders.SendJsonAsync(HttpMethod.Post, "/orders", OneMug(5), ("Idempotency-Key", key));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, different.StatusCode);
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM orders WHERE idempotency_key = $1", key));
    }

    [Fact]
    public async Task Another_customers_order_is_not_found()
    {
        using var customer = await OrdersAsync();
        using var someoneElse = await OrdersAsync(IdentityClient.Admin);
        using var placed = await customer.SendJsonAsync(HttpMethod.Post, "/orders", OneMug());
        var location = placed.Headers.Location!.ToString();

        using var theirs = await someoneElse.GetAsync(location, placed.ConsistencyToken());
        var theirList = await someoneElse.GetJsonAsync<OrderPage>("/orders?pageSize=100", placed.ConsistencyToken());

        Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        Assert.DoesNotContain(theirList.Items, o => location.EndsWith(o.Id.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_customer_lists_their_own_orders_newest_first()
    {
        using var orders = await OrdersAsync();
        var placed = new List<Guid>();
        string? token = null;
        for (var i = 1; i <= 3; i++)
        {
            using var response = await orders.SendJsonAsync(HttpMethod.Post, "/orders", OneMug(i));
            placed.Add((await response.Content.ReadFromJsonAsync<OrderAccepted>(Cancellation))!.OrderId);
            token = response.ConsistencyToken();
        }

        var page = await orders.GetJsonAsync<OrderPage>("/orders?pageSize=3", token);
        var next = await orders.GetJsonAsync<OrderPage>("/orders?pageSize=3&page=2", token);

        Assert.Equal(Enumerable.Reverse(placed), page.Items.Select(o => o.Id));
        Assert.Equal([3, 2, 1], page.Items.Select(o => o.Quantity));
        Assert.True(page.Total >= 3);
        Assert.DoesNotContain(next.Items, o => placed.Contains(o.Id));
    }

    /// <summary>What each bad order answers is tested in memory (tests/Services.Tests/ApiValidationTests.cs); here, that it stores nothing.</summary>
    [Fact]
    public async Task An_invalid_order_stores_nothing()
    {
        using var orders = await OrdersAsync();
        var key = Guid.NewGuid().ToString();

        using var response = await orders.SendJsonAsync(HttpMethod.Post, "/orders",
            System.Text.Json.JsonDocument.Parse("""{"items":[{"productId":1,"quantity":1001}]}""").RootElement, ("Idempotency-Key", key));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["items[0].quantity"], (await response.Content.ReadFromJsonAsync<Problem>(Cancellation))!.Errors!.Keys);
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM orders WHERE idempotency_key = $1", key));
    }

    /// <summary>A test server reads any body; Kestrel enforces the APIs' limit (64 KiB), so this one is tested here.</summary>
    [Fact]
    public async Task A_body_larger_than_any_order_needs_is_a_413_problem_and_stores_nothing()
    {
        using var orders = await OrdersAsync();
        var key = Guid.NewGuid().ToString();
        var items = Enumerable.Repeat(new { productId = 1, quantity = 1 }, 4000).ToArray(); // ~110 KiB of JSON

        using var response = await orders.SendJsonAsync(HttpMethod.Post, "/orders", new { items }, ("Idempotency-Key", key));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM orders WHERE idempotency_key = $1", key));
    }

    [Fact]
    public async Task Orders_need_the_orders_scope()
    {
        using var catalogOnly = new ServiceClient(fixture.App, "orders", await fixture.AccessTokenAsync(IdentityClient.Customer, "catalog"));

        using var response = await catalogOnly.GetAsync("/orders");

        // A catalog token is not even addressed to the orders service.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Only_customers_place_orders_a_machine_token_is_forbidden_and_writes_nothing()
    {
        var machine = await new IdentityClient(fixture.App).WorkersTokenAsync("orders", Cancellation);
        using var orders = new ServiceClient(fixture.App, "orders", machine.AccessToken);
        var key = Guid.NewGuid().ToString();

        using var response = await orders.SendJsonAsync(HttpMethod.Post, "/orders", OneMug(), ("Idempotency-Key", key));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM orders WHERE idempotency_key = $1", key));
    }

    private Task<long> CountAsync(string sql, params object[] parameters) => Databases.CountOrdersAsync(fixture.App, sql, parameters);
}
