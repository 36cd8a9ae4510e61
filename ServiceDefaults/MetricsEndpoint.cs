using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// A Prometheus scrape endpoint, <c>http://{Metrics:Host}:{Metrics:Port}/metrics</c>, when <c>Metrics:Port</c> is set: the
/// same metrics the service exports by OTLP, for a Prometheus to pull. Its own listener, not the service's HTTP port, so it
/// is never reachable through the gateway or an ingress, and workers (no HTTP) have one too. docs/operations.md says why.
/// </summary>
public static class MetricsEndpoint
{
    public const string PortKey = "Metrics:Port";

    /// <summary>The interface to listen on: <c>localhost</c> unless set (<c>+</c>: every interface, as in a pod).</summary>
    public const string HostKey = "Metrics:Host";

    public const string Path = "/metrics";

    public static TBuilder AddMetricsEndpoint<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (builder.Configuration[PortKey] is not { Length: > 0 } port)
        {
            return builder;
        }

        if (!ushort.TryParse(port, out var number) || number == 0)
        {
            throw new InvalidOperationException($"{PortKey} is '{port}': a TCP port number is expected.");
        }

        var host = builder.Configuration[HostKey] ?? "localhost";
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddPrometheusHttpListener(options =>
        {
            options.Host = host;
            options.Port = number;
            options.ScrapeEndpointPath = Path;
        }));
        return builder;
    }
}
