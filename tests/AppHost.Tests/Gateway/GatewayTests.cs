using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Platform.AppHost.Tests.Identity;
using Platform.AppHost.Tests.Services;

namespace Platform.AppHost.Tests.Gateway;

/// <summary>The gateway as the one front door: routes, edge checks, API documents, load balancing, tracing.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class GatewayTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private Uri Gateway => fixture.App.GetEndpoint("gateway", "http");

    private async Task<HttpClient> AsAsync(string user, string scope) =>
        GatewayClient.Create(fixture.App, await fixture.AccessTokenAsync(user, scope));

    [Fact]
    public async Task Every_api_and_the_sign_in_pages_answer_through_the_gateway()
    {
        using var customer = await AsAsync(IdentityClient.Customer, "catalog orders users");
        using var anonymous = GatewayClient.Create(fixture.App);

        using var products = await customer.GetAsync("/api/catalog/products?pageSize=3", Cancellation);
        using var orders = await customer.GetAsync("/api/orders/orders", Cancellation);
        using var me = await customer.GetAsync("/api/identity/users/me", Cancellation);
        using var login = await anonymous.GetAsync("/account/login", Cancellation);
        var discovery = await anonymous.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration", Cancellation);

        Assert.Equal(HttpStatusCode.OK, products.StatusCode);
        Assert.Equal(3, (await products.Content.ReadFromJsonAsync<ProductPage>(Cancellation))!.Items.Count);
        Assert.Equal(HttpStatusCode.OK, orders.StatusCode);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains("<form", await login.Content.ReadAsStringAsync(Cancellation), StringComparison.Ordinal);
        // One origin: the issuer and every endpoint a client needs are the gateway's.
        Assert.Equal(Gateway.ToString(), discovery.GetProperty("issuer").GetString());
        foreach (var endpoint in new[] { "authorization_endpoint", "token_endpoint", "jwks_uri", "end_session_endpoint" })
        {
            Assert.StartsWith(Gateway.ToString(), discovery.GetProperty(endpoint).GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_token_fetched_through_the_gateway_has_the_same_issuer_as_one_fetched_from_identity()
    {
        var identity = new IdentityClient(fixture.App);
        var secret = await identity.SecretAsync("identity-workers-secret", Cancellation);
        using var anonymous = GatewayClient.Create(fixture.App);

        using var viaGateway = await anonymous.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "workers", ["client_secret"] = secret, ["scope"] = "catalog",
        }), Cancellation);
        var direct = await identity.WorkersTokenAsync("catalog", Cancellation);

        viaGateway.EnsureSuccessStatusCode();
        var token = (await viaGateway.Content.ReadFromJsonAsync<TokenResponse>(Cancellation))!.AccessToken;
        Assert.Equal(Gateway.ToString(), Claim(token, "iss"));
        Assert.Equal(Claim(direct.AccessToken, "iss"), Claim(token, "iss"));
        // And the catalog, which validates it on its own, takes it straight (not only through the gateway).
        using var catalog = new ServiceClient(fixture.App, "catalog", token);
        using var page = await catalog.GetAsync("/products?pageSize=1");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task The_API_reference_client_signs_in_with_PKCE_and_no_secret_entirely_through_the_gateway()
    {
        // What Scalar's "Authorize" does in a browser: one origin, a public client, a code verifier instead of a secret.
        var identity = new IdentityClient(fixture.App);
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
        {
            BaseAddress = Gateway,
        };
        const string redirectUri = "http://localhost:5100/scalar/"; // as registered by identity's development seed
        var verifier = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var challenge = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(
            System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)));

        using var toLogin = await browser.GetAsync($"/connect/authorize?response_type=code&client_id=scalar&redirect_uri={Uri.EscapeDataString(redirectUri)}" +
            $"&scope=catalog&code_challenge={challenge}&code_challenge_method=S256&state=s1", Cancellation);
        Assert.Equal(HttpStatusCode.Redirect, toLogin.StatusCode);
        Assert.Equal(Gateway.Authority, new Uri(Gateway, toLogin.Headers.Location!).Authority);
        using var login = await IdentityClient.SubmitLoginAsync(browser, toLogin.Headers.Location!, IdentityClient.Customer,
            await identity.SecretAsync("identity-demo-password", Cancellation), Cancellation);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        using var toClient = await browser.GetAsync(login.Headers.Location!, Cancellation);
        Assert.StartsWith(redirectUri, toClient.Headers.Location!.ToString(), StringComparison.Ordinal);
        var code = System.Web.HttpUtility.ParseQueryString(toClient.Headers.Location!.Query)["code"]!;
        using var exchange = await browser.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = redirectUri,
            ["client_id"] = "scalar", ["code_verifier"] = verifier,
        }), Cancellation);

        exchange.EnsureSuccessStatusCode();
        using var api = GatewayClient.Create(fixture.App, (await exchange.Content.ReadFromJsonAsync<TokenResponse>(Cancellation))!.AccessToken);
        using var products = await api.GetAsync("/api/catalog/products?pageSize=1", Cancellation);
        Assert.Equal(HttpStatusCode.OK, products.StatusCode);
    }

    [Fact]
    public async Task An_unknown_route_is_a_404_problem()
    {
        using var anonymous = GatewayClient.Create(fixture.App);

        using var response = await anonymous.GetAsync("/api/nowhere/things", Cancellation);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(404, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("gateway", "/api/catalog/products")]
//#if (web)
    [InlineData("web", "/")]
//#endif
    public async Task A_front_door_refuses_a_request_for_another_host(string frontDoor, string path)
    {
        using var http = new HttpClient { BaseAddress = fixture.App.GetEndpoint(frontDoor, "http") };

        using var own = await http.GetAsync(path, Cancellation);
        using var forged = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Host = "evil.example" } }, Cancellation);

        Assert.NotEqual(HttpStatusCode.BadRequest, own.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
    }

    [Fact]
    public async Task The_edge_refuses_a_missing_token_and_a_token_for_another_api()
    {
        using var anonymous = GatewayClient.Create(fixture.App);
        using var ordersOnly = await AsAsync(IdentityClient.Customer, "orders");

        using var noToken = await anonymous.GetAsync("/api/catalog/products", Cancellation);
        using var wrongAudience = await ordersOnly.GetAsync("/api/catalog/products", Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrongAudience.StatusCode);
        // Refused at the edge: the catalog never answered (it would have named itself in development).
        Assert.False(noToken.Headers.Contains(ServiceDefaultsExtensions.ServedByHeader));
        Assert.False(wrongAudience.Headers.Contains(ServiceDefaultsExtensions.ServedByHeader));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_and_stores_nothing()
    {
        using var customer = await AsAsync(IdentityClient.Customer, "orders");
        var key = Guid.NewGuid().ToString();
        var items = Enumerable.Range(1, 5000).Select(i => new { productId = i, quantity = 1 }).ToArray(); // ~150 KB

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders/orders") { Content = JsonContent.Create(new { items }) };
        request.Headers.Add("Idempotency-Key", key);
        await request.Content.LoadIntoBufferAsync(Cancellation); // a Content-Length, as clients send
        using var response = await customer.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0L, await Databases.CountOrdersAsync(fixture.App, "SELECT count(*) FROM orders WHERE idempotency_key = $1", key));
    }

    [Fact]
    public async Task Responses_carry_security_headers_and_no_server_banner()
    {
        using var customer = await AsAsync(IdentityClient.Customer, "catalog");

        using var anonymous = GatewayClient.Create(fixture.App);

        // An answer from an API, the edge's refusal of a missing token, and the gateway's own 404.
        using var proxied = await customer.GetAsync("/api/catalog/products/1", Cancellation);
        using var refused = await anonymous.GetAsync("/api/catalog/products/1", Cancellation);
        using var unknown = await anonymous.GetAsync("/no/such/route", Cancellation);

        Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        foreach (var response in new[] { proxied, refused, unknown })
        {
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
            Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            Assert.False(response.Headers.Contains("Server"));
        }
    }

    [Fact]
    public async Task An_order_placed_through_the_gateway_points_back_through_it()
    {
        using var customer = await AsAsync(IdentityClient.Customer, "orders");

        using var response = await customer.PostAsJsonAsync("/api/orders/orders", new { items = new[] { new { productId = 2, quantity = 1 } } }, Cancellation);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = (await response.Content.ReadFromJsonAsync<OrderAccepted>(Cancellation))!;
        Assert.Equal($"/api/orders/orders/{accepted.OrderId}", response.Headers.Location!.ToString());
        using var read = new HttpRequestMessage(HttpMethod.Get, response.Headers.Location);
        read.Headers.Add("Consistency-Token", response.Headers.GetValues("Consistency-Token").Single());
        using var order = await customer.SendAsync(read, Cancellation);
        Assert.Equal(HttpStatusCode.OK, order.StatusCode);
    }

    [Fact]
    public async Task A_trace_started_by_the_client_runs_through_the_gateway_into_the_api_and_its_event()
    {
        using var customer = await AsAsync(IdentityClient.Customer, "orders");
        var traceId = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders/orders")
        {
            Content = JsonContent.Create(new { items = new[] { new { productId = 4, quantity = 1 } } }),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");

        using var response = await customer.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var orderId = (await response.Content.ReadFromJsonAsync<OrderAccepted>(Cancellation))!.OrderId;
        // The OrderPlaced event written with the order keeps the request's trace: the client's trace id, through the gateway.
        var traceParent = await Databases.OrdersScalarAsync<string>(fixture.App,
            "SELECT trace_parent FROM outbox_messages WHERE payload::text LIKE '%' || $1 || '%'", orderId.ToString());
        Assert.Equal(traceId.ToString(), traceParent?.Split('-')[1]);
    }

    [Fact]
    public async Task The_gateway_serves_every_api_document_with_itself_as_the_server()
    {
        using var anonymous = GatewayClient.Create(fixture.App);

        foreach (var api in new[] { "catalog", "orders", "identity" })
        {
            var document = await anonymous.GetFromJsonAsync<JsonElement>($"/api/{api}/openapi/v1.json", Cancellation);

            Assert.StartsWith("3.1", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
            Assert.Equal(new Uri(Gateway, $"/api/{api}").ToString().TrimEnd('/'),
                document.GetProperty("servers")[0].GetProperty("url").GetString()!.TrimEnd('/'));
            Assert.NotEmpty(document.GetProperty("paths").EnumerateObject());
            var flow = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("oauth2")
                .GetProperty("flows").GetProperty("authorizationCode");
            Assert.Equal(new Uri(Gateway, "/connect/authorize").ToString(), flow.GetProperty("authorizationUrl").GetString());
        }

        using var reference = await anonymous.GetAsync("/scalar/", Cancellation);
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
    }

    [Fact]
    public async Task Requests_are_spread_over_both_catalog_instances()
    {
        using var customer = await AsAsync(IdentityClient.Customer, "catalog");
        var servedBy = new Dictionary<string, int>();

        // Paced under the per-caller rate limit (100/s).
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        for (var i = 0; i < 100 && await pace.WaitForNextTickAsync(Cancellation); i++)
        {
            using var response = await customer.GetAsync($"/api/catalog/products/{1 + (i % 10)}", Cancellation);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var instance = response.Headers.GetValues(ServiceDefaultsExtensions.ServedByHeader).Single();
            servedBy[instance] = servedBy.GetValueOrDefault(instance) + 1;
        }

        Assert.Equal(["catalog", "catalog-2"], servedBy.Keys.Order());
        // Power of two choices over two idle instances is a coin toss: each gets a fair share, not all.
        Assert.All(servedBy.Values, count => Assert.InRange(count, 25, 75));
    }

    private static string Claim(string jwt, string name) =>
        JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(jwt.Split('.')[1])).RootElement.GetProperty(name).GetString()!;
}
