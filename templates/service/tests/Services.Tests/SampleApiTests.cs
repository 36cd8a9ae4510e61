using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.Services.Tests;

/// <summary>The sample service in memory: its real Program and pipeline, without a database behind it.</summary>
public sealed class SampleApiTests : IAsyncDisposable
{
    private readonly ServiceHost<Sample.Orders.ReceivedOrder> _host = new("sampledb");

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task It_is_alive_and_describes_its_endpoints()
    {
        using var client = _host.CreateClient();

        using var alive = await client.GetAsync("/alive", Cancellation);
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json", Cancellation);

        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.True(document.GetProperty("paths").TryGetProperty("/received-orders", out _));
        Assert.Contains(_host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>(),
            e => e.RoutePattern.RawText == "/received-orders/");
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("orders", HttpStatusCode.Forbidden)]
    public async Task Its_API_needs_a_token_with_its_scope(string? scopes, HttpStatusCode expected)
    {
        using var client = _host.CreateClient();
        if (scopes is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(TestAuthentication.SchemeName, scopes);
        }

        using var response = await client.GetAsync("/received-orders", Cancellation);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task A_page_size_out_of_range_is_a_400_problem()
    {
        using var client = _host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(TestAuthentication.SchemeName, "sample");

        using var response = await client.GetAsync("/received-orders?pageSize=0", Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
