using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Platform.Services.Tests;

/// <summary>
/// What a client can send wrong, answered in memory — the service's real Program and pipeline, no database behind it:
/// every bad input is a 400 problem naming the field, checked before anything is read or written. (That nothing is
/// stored is asserted on the running platform: tests/AppHost.Tests/Services.)
/// </summary>
public sealed class ApiValidationTests(ServiceHosts hosts) : IClassFixture<ServiceHosts>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private HttpClient Client(string api, string? scopes)
    {
        var client = hosts[api].CreateClient();
        if (scopes is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(TestAuthentication.SchemeName, scopes);
        }

        return client;
    }

    [Theory]
    [InlineData("/products?pageSize=0", "pageSize")]
    [InlineData("/products?pageSize=101", "pageSize")]
    [InlineData("/products?page=0", "page")]
    [InlineData("/products?sort=colour", "sort")]
    [InlineData("/products?page=abc", null)]
    [InlineData("/products?search=nul%00byte", "search")]
    public async Task Invalid_catalog_queries_are_a_400_problem(string path, string? field)
    {
        using var catalog = Client("catalog", "catalog");
        using var response = await catalog.GetAsync(path, Cancellation);

        await AssertProblemAsync(response, field);
    }

    [Theory]
    [InlineData("""{"name":"Mug","price":-1,"stock":1}""", "price")]
    [InlineData("""{"name":"Mug","price":1,"stock":2000000000}""", "stock")]
    [InlineData("""{"name":"  ","price":1,"stock":1}""", "name")]
    [InlineData("""{"name":"Mug","price":1.001,"stock":1}""", "price")]
    [InlineData("""{"name":"Mug\u0000","price":1,"stock":1}""", "name")]
    [InlineData("\"not an object\"", null)]
    public async Task Invalid_products_are_a_400_problem_naming_the_field(string body, string? field)
    {
        using var admin = Client("catalog", "catalog catalog.admin");
        using var response = await admin.PostAsync("/products", Json(body), Cancellation);

        await AssertProblemAsync(response, field);
    }

    [Fact]
    public async Task A_bad_consistency_token_is_a_400_problem()
    {
        using var catalog = Client("catalog", "catalog");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/products");
        request.Headers.Add("Consistency-Token", "not-a-position");

        using var response = await catalog.SendAsync(request, Cancellation);

        await AssertProblemAsync(response, field: null);
    }

    [Theory]
    [InlineData("""{"items":[]}""", "items")]
    [InlineData("""{"items":[{"productId":0,"quantity":1}]}""", "items[0].productId")]
    [InlineData("""{"items":[{"productId":1,"quantity":1001}]}""", "items[0].quantity")]
    [InlineData("""{"items":[{"productId":1,"quantity":1},{"productId":1,"quantity":2}]}""", "items")]
    [InlineData("""{"items":"many"}""", null)]
    [InlineData("""{}""", "items")]
    [InlineData("""{"items":[{"productId":1,"quantity":600},{"productId":2,"quantity":401}]}""", "items")]
    [InlineData("""{"items":[null]}""", "items")]
    [InlineData("""{"items":[{"productId":1,"quantity":1},null]}""", "items")]
    public async Task An_invalid_order_is_a_400_problem_naming_the_field(string body, string? field)
    {
        using var orders = Client("orders", "orders");
        using var content = Json(body);
        content.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());

        using var response = await orders.PostAsync("/orders", content, Cancellation);

        await AssertProblemAsync(response, field);
    }

    [Theory]
    [InlineData("with space")]
    [InlineData("tab\tinside")]
    [InlineData("kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk")]
    public async Task A_malformed_idempotency_key_is_a_400_problem(string key)
    {
        using var orders = Client("orders", "orders");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/orders") { Content = Json("""{"items":[{"productId":1,"quantity":1}]}""") };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);

        using var response = await orders.SendAsync(request, Cancellation);

        await AssertProblemAsync(response, "Idempotency-Key");
    }

    [Theory]
    [InlineData(300, 20, "email")]
    [InlineData(20, 80_000, "password")]
    public async Task A_registration_beyond_the_account_limits_is_a_400_problem(int emailLength, int passwordLength, string field)
    {
        using var identity = Client("identity", scopes: null);
        const string domain = "@example.com"; // not the project's name: the template renames that, and its length with it
        var email = new string('a', emailLength - domain.Length) + domain;
        var password = "Aa1" + new string('x', passwordLength - 3);

        using var response = await identity.PostAsJsonAsync("/users", new { email, password }, Cancellation);

        await AssertProblemAsync(response, field);
    }

    [Theory]
    [InlineData("catalog", "/products", null, HttpStatusCode.Unauthorized)]
    [InlineData("catalog", "/products", "orders", HttpStatusCode.Forbidden)]
    [InlineData("orders", "/orders", null, HttpStatusCode.Unauthorized)]
    [InlineData("orders", "/orders", "catalog", HttpStatusCode.Forbidden)]
    public async Task Without_the_right_scope_a_request_is_refused_before_anything_else(string api, string path, string? scopes, HttpStatusCode expected)
    {
        using var client = Client(api, scopes);
        using var response = await client.GetAsync(path + "?pageSize=0", Cancellation); // invalid too: the scope is checked first

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task A_customer_cannot_create_products()
    {
        using var customer = Client("catalog", "catalog");
        using var response = await customer.PostAsync("/products", Json("""{"name":"Mug","price":1,"stock":1}"""), Cancellation);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task AssertProblemAsync(HttpResponseMessage response, string? field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        if (field is not null)
        {
            Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        }
    }
}
