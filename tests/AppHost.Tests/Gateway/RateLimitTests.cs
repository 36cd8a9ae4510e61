using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.AppHost.Tests.Identity;

namespace Platform.AppHost.Tests.Gateway;

/// <summary>
/// Budgets per caller at the gateway, and the client's real address behind it. Each test calls from loopback addresses
/// of its own (127.0.0.x), so that no other test's traffic counts against it.
/// </summary>
[Collection(SharedAppCollection.Name)]
public sealed class RateLimitTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_caller_over_its_budget_gets_429_with_Retry_After_while_another_caller_goes_on()
    {
        var identity = new IdentityClient(fixture.LocalApp);
        using var greedy = GatewayClient.Create(fixture.LocalApp, (await identity.WorkersTokenAsync("catalog", Cancellation)).AccessToken);
        using var other = GatewayClient.Create(fixture.LocalApp, await fixture.AccessTokenAsync(IdentityClient.Customer, "catalog"));

        // 300 requests, 30 at a time: well over 100 a second, the per-caller budget.
        using var throttle = new SemaphoreSlim(30);
        var responses = await Task.WhenAll(Enumerable.Range(0, 300).Select(async i =>
        {
            await throttle.WaitAsync(Cancellation);
            try
            {
                return await greedy.GetAsync($"/api/catalog/products/{1 + (i % 10)}", Cancellation);
            }
            finally
            {
                throttle.Release();
            }
        }));
        using var meanwhile = await other.GetAsync("/api/catalog/products/1", Cancellation);

        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
        var first = refused[0];
        Assert.InRange(int.Parse(first.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal("application/problem+json", first.Content.Headers.ContentType?.MediaType);
        Assert.Equal(429, (await first.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.OK, meanwhile.StatusCode);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Sign_in_budgets_are_per_client_address()
    {
        using var first = GatewayClient.Create(fixture.LocalApp, from: "127.0.0.2");
        using var second = GatewayClient.Create(fixture.LocalApp, from: "127.0.0.3");

        // The stricter sign-in budget (60 a minute per address) on the token endpoint, with made-up credentials.
        var statuses = await StatusesAsync(61, _ => first.PostAsync("/connect/token", BadCredentials(), Cancellation));

        using var fromSecond = await second.PostAsync("/connect/token", BadCredentials(), Cancellation);

        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses.Take(60));
        Assert.Equal(HttpStatusCode.Unauthorized, fromSecond.StatusCode); // invalid client: answered by identity, not limited
    }

    [Fact]
    public async Task Identity_behind_the_gateway_limits_logins_by_the_real_client_address()
    {
        using var first = GatewayClient.Create(fixture.LocalApp, from: "127.0.0.4");
        using var second = GatewayClient.Create(fixture.LocalApp, from: "127.0.0.5");

        // Identity's own login limit (30 attempts a minute per address) trips before the gateway's sign-in budget (60).
        var statuses = await StatusesAsync(31, _ => first.PostAsync("/account/login", LoginForm(), Cancellation));

        using var fromSecond = await second.PostAsync("/account/login", LoginForm(), Cancellation);

        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses.Take(30));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        // Had identity seen the gateway's address for both, this one would be refused too.
        Assert.NotEqual(HttpStatusCode.TooManyRequests, fromSecond.StatusCode);
    }

    [Fact]
    public async Task A_forged_forwarded_address_sent_straight_to_a_service_is_not_believed()
    {
        using var direct = GatewayClient.Create(fixture.LocalApp.GetEndpoint("identity", "http"), from: "127.0.0.6");

        // Each attempt claims another client address; identity counts them all against the real one.
        var statuses = await StatusesAsync(31, i =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/account/login") { Content = LoginForm() };
            request.Headers.Add("X-Forwarded-For", $"203.0.113.{i + 1}");
            return direct.SendAsync(request, Cancellation);
        });

        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }

    /// <summary>The status codes of <paramref name="count"/> requests sent one after the other.</summary>
    private static async Task<List<HttpStatusCode>> StatusesAsync(int count, Func<int, Task<HttpResponseMessage>> send)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < count; i++)
        {
            using var response = await send(i);
            statuses.Add(response.StatusCode);
        }

        return statuses;
    }

    private static FormUrlEncodedContent BadCredentials() => new(new Dictionary<string, string>
    {
        ["grant_type"] = "client_credentials", ["client_id"] = "nobody", ["client_secret"] = "wrong", ["scope"] = "catalog",
    });

    // No anti-forgery token: the attempt is refused (400) after the limiter has counted it.
    private static FormUrlEncodedContent LoginForm() => new(new Dictionary<string, string>
    {
        ["Email"] = "nobody@platform.test", ["Password"] = "Wrong-password-1",
    });
}
