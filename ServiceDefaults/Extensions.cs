using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every service gets from one <c>builder.AddServiceDefaults()</c>: OpenTelemetry logs,
/// metrics and traces (OTLP when an endpoint is configured), health checks, service discovery
/// standard resilience for outgoing HTTP, and problem details for every error. <c>app.MapDefaultEndpoints()</c> maps the probes.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Readiness: every registered check (databases, brokers…) must pass.</summary>
    public const string HealthEndpointPath = "/health";

    /// <summary>Liveness: only checks tagged <see cref="LiveTag"/> (the process answers at all).</summary>
    public const string AlivenessEndpointPath = "/alive";

    /// <summary>The response header naming the instance that answered (development only).</summary>
    public const string ServedByHeader = "X-Served-By";

    /// <summary>The tag of health checks that belong to liveness.</summary>
    public const string LiveTag = "live";

    /// <summary>The configuration key of the file a drill writes settings to (the AppHost's dashboard commands, docs/operations.md).</summary>
    public const string DrillSettingsKey = "Drills:SettingsFile";

    /// <summary>The services', building blocks' and these defaults' own meters (<c>Platform.Orders</c>, <c>Platform.Messaging</c>, <c>Platform.Health</c>…).</summary>
    public const string OwnMeters = "Platform.*";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (builder.Configuration[DrillSettingsKey] is { Length: > 0 } drill)
        {
            // Over every other source, and watched: a drill changes settings of the running process and undoes them.
            builder.Configuration.AddJsonFile(drill, optional: true, reloadOnChange: true);
        }

        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.AddProblemDetailsDefaults();
        builder.AddForwardedHeadersDefaults();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Npgsql logs every command at Information: with the outbox relays polling, that was a steady stream of log
        // records into the console and the dashboard for nothing (the traces show the commands that matter).
        builder.Logging.AddFilter("Npgsql", LogLevel.Warning);
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(OwnMeters))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource("Platform.Messaging") // event publish and handling (the messaging building block)
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsProbe(context.Request.Path))
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        builder.AddMetricsEndpoint();

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.Services.AddSingleton<IHealthCheckPublisher, HealthMetrics>(); // readiness as a metric, for alerts
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (ready) and <c>/alive</c> (live) in every environment: orchestrators
    /// probe them in production too. They answer only "Healthy"/"Unhealthy", never details.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        if (app.Environment.IsDevelopment())
        {
            // Which instance answered (catalog, catalog-2…): shows load balancing at work; not sent outside development.
            var instance = app.Configuration["OTEL_SERVICE_NAME"] ?? Environment.MachineName;
            app.Use((context, next) =>
            {
                // A proxy (the gateway) passes on the header of the instance behind it.
                context.Response.OnStarting(() =>
                {
                    context.Response.Headers.TryAdd(ServedByHeader, instance);
                    return Task.CompletedTask;
                });
                return next(context);
            });
        }

        app.MapHealthChecks(HealthEndpointPath).AllowAnonymous();
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) })
            .AllowAnonymous();
        return app;
    }

    // Probes run every few seconds; tracing them would bury the traces that matter.
    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments(HealthEndpointPath) || path.StartsWithSegments(AlivenessEndpointPath);
}
