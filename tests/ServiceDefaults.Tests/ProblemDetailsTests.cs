using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.ServiceDefaults.Tests;

/// <summary>An exception is a problem document; a database that is down or saturated is a 503 the client may retry.</summary>
public sealed class ProblemDetailsTests
{
    [Theory]
    [InlineData("/pool-exhausted", HttpStatusCode.ServiceUnavailable)]
    [InlineData("/wrapped", HttpStatusCode.ServiceUnavailable)]    // EF's execution strategy gave up retrying
    [InlineData("/unexpected-sql", HttpStatusCode.InternalServerError)]
    [InlineData("/bug", HttpStatusCode.InternalServerError)]
    public async Task Transient_database_failures_are_503_with_retry_after_and_others_500(string path, HttpStatusCode expected)
    {
        await using var app = await StartAsync(app =>
        {
            // What Npgsql throws when every pooled connection stayed busy for the pool's Timeout.
            app.MapGet("/pool-exhausted", string () => throw new NpgsqlException("The connection pool has been exhausted", new TimeoutException()));
            app.MapGet("/wrapped", string () => throw new InvalidOperationException("retries exhausted", new NpgsqlException("", new TimeoutException())));
            app.MapGet("/unexpected-sql", string () => throw new NpgsqlException("syntax error"));
            app.MapGet("/bug", string () => throw new InvalidOperationException("bug"));
        });

        using var client = app.GetTestClient();
        using var response = await client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(expected == HttpStatusCode.ServiceUnavailable ? "1" : null, response.Headers.RetryAfter?.ToString());
    }

    [Fact]
    public async Task A_request_the_server_refuses_is_its_own_4xx_and_says_why_a_bug_says_nothing()
    {
        await using var app = await StartAsync(app =>
        {
            app.MapGet("/refused", string () => throw new BadHttpRequestException("The Consistency-Token header is too far ahead.", 400));
            app.MapGet("/bug", string () => throw new InvalidOperationException("connection string with a password"));
        });
        using var client = app.GetTestClient();

        using var refused = await client.GetAsync("/refused", TestContext.Current.CancellationToken);
        using var bug = await client.GetAsync("/bug", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = (await refused.Content.ReadFromJsonAsync<JsonObject>(TestContext.Current.CancellationToken))!;
        Assert.Equal("The Consistency-Token header is too far ahead.", (string?)problem["detail"]);
        Assert.Equal(HttpStatusCode.InternalServerError, bug.StatusCode);
        Assert.DoesNotContain("password", await bug.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    /// <summary>An app with the service defaults and the exception handler, in memory, with the endpoints <paramref name="map"/> adds.</summary>
    private static async Task<WebApplication> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults();
        var app = builder.Build();
        app.UseExceptionHandler();
        map(app);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app;
    }
}
