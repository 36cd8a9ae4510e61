using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

namespace Platform.ServiceDefaults.Tests;

public sealed class ServiceDefaultsTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Health_and_alive_answer_healthy_without_details_when_every_check_passes()
    {
        await using var app = await StartAsync(readinessHealthy: true);
        using var client = app.GetTestClient();

        var health = await client.GetAsync(new Uri("/health", UriKind.Relative), Cancellation);
        var alive = await client.GetAsync(new Uri("/alive", UriKind.Relative), Cancellation);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync(Cancellation));
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Theory]
    [InlineData(null, true)]      // outside development: token keys over HTTPS only
    [InlineData("false", false)]  // unless the deployment says its cluster network carries them
    public void Outside_development_an_http_authority_is_refused_unless_the_deployment_allows_it(string? setting, bool refused)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Configuration["Identity:Authority"] = "http://identity:8080";
        builder.Configuration["Identity:RequireHttpsMetadata"] = setting;
        builder.AddJwtAuthentication(["catalog"], requireTokenByDefault: true);
        using var app = builder.Build();

        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerOptions>>();
        var read = () => options.Get(Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerDefaults.AuthenticationScheme);

        if (refused)
        {
            Assert.Throws<InvalidOperationException>(read);
        }
        else
        {
            Assert.False(read().RequireHttpsMetadata);
        }
    }

    [Fact]
    public async Task A_failing_dependency_makes_the_service_unready_but_not_dead()
    {
        await using var app = await StartAsync(readinessHealthy: false);
        using var client = app.GetTestClient();

        var health = await client.GetAsync(new Uri("/health", UriKind.Relative), Cancellation);
        var alive = await client.GetAsync(new Uri("/alive", UriKind.Relative), Cancellation);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("Unhealthy", await health.Content.ReadAsStringAsync(Cancellation));
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task Probes_are_left_out_of_traces_and_other_requests_are_traced()
    {
        var exported = new ExportedActivities();
        await using var app = await StartAsync(readinessHealthy: true, exported);
        using var client = app.GetTestClient();

        await client.GetAsync(new Uri("/health", UriKind.Relative), Cancellation);
        await client.GetAsync(new Uri("/alive", UriKind.Relative), Cancellation);
        await client.GetAsync(new Uri("/hello", UriKind.Relative), Cancellation);

        // The server span ends just after the response reaches the client: wait for the last one.
        string?[] paths = [];
        for (var attempt = 0; attempt < 100 && !paths.Contains("/hello"); attempt++)
        {
            await Task.Delay(20, Cancellation);
            app.Services.GetRequiredService<TracerProvider>().ForceFlush();
            paths = [.. exported.Snapshot().Select(a => a.GetTagItem("url.path") as string)];
        }

        Assert.Contains("/hello", paths);
        Assert.DoesNotContain("/health", paths);
        Assert.DoesNotContain("/alive", paths);
    }

    private static async Task<WebApplication> StartAsync(bool readinessHealthy, ExportedActivities? exported = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.Services.AddHealthChecks().AddCheck("database", () => readinessHealthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("down"));
        if (exported is not null)
        {
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddInMemoryExporter(exported));
        }

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/hello", () => "hello");
        await app.StartAsync(Cancellation);
        return app;
    }

    /// <summary>The exporter adds from the thread that ends a span while the test reads.</summary>
    private sealed class ExportedActivities : System.Collections.ObjectModel.Collection<Activity>
    {
        private readonly Lock _lock = new();

        public Activity[] Snapshot()
        {
            lock (_lock)
            {
                return [.. this];
            }
        }

        protected override void InsertItem(int index, Activity item)
        {
            lock (_lock)
            {
                base.InsertItem(index, item);
            }
        }
    }
}
