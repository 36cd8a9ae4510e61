using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Platform.ServiceDefaults.Tests;

/// <summary>A service believes <c>X-Forwarded-*</c> from the gateway's own address only, not from any other local process.</summary>
public sealed class ForwardedHeadersTests
{
    private const string ClaimedClient = "203.0.113.9";

    [Theory]
    [InlineData("127.0.0.100", ClaimedClient)]  // the gateway, on this machine
    [InlineData("127.0.0.1", "127.0.0.1")]      // any other local process
    [InlineData("127.0.0.6", "127.0.0.6")]
    [InlineData("::1", "::1")]
    [InlineData("10.1.2.3", "10.1.2.3")]        // a client elsewhere
    public async Task Forwarded_headers_are_believed_only_from_the_gateway(string from, string seen)
    {
        Assert.SkipWhen(OperatingSystem.IsMacOS(), "On macOS the gateway connects from 127.0.0.1 like every local process.");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        await using var app = builder.Build();
        app.UseForwardedHeaders();
        app.MapGet("/who", (HttpContext context) => context.Connection.RemoteIpAddress!.ToString());
        await app.StartAsync(TestContext.Current.CancellationToken);

        var response = await app.GetTestServer().SendAsync(context =>
        {
            context.Request.Path = "/who";
            context.Connection.RemoteIpAddress = IPAddress.Parse(from);
            context.Request.Headers["X-Forwarded-For"] = ClaimedClient;
        }, TestContext.Current.CancellationToken);

        Assert.Equal(seen, await new StreamReader(response.Response.Body).ReadToEndAsync(TestContext.Current.CancellationToken));
    }
}
