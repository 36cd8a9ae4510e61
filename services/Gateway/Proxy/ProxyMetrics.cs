using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Platform.Gateway.Proxy;

/// <summary>
/// The gateway's own instruments (meter <c>Platform.Gateway</c>): requests and upstream latency per route and
/// destination, retries, and rate-limit rejections per policy — what the dashboard's Metrics page shows for it.
/// </summary>
public sealed class ProxyMetrics
{
    public const string MeterName = "Platform.Gateway";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _upstreamDuration;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _rejections;

    public ProxyMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("gateway.proxy.requests", "{request}", "Requests forwarded, by route, destination and status code.");
        _upstreamDuration = meter.CreateHistogram<double>("gateway.proxy.upstream.duration", "s",
            "Time from choosing a destination to the end of its response.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _retries = meter.CreateCounter<long>("gateway.proxy.retries", "{request}", "Idempotent requests sent again to another destination.");
        _rejections = meter.CreateCounter<long>("gateway.rate_limit.rejections", "{request}", "Requests refused with 429, by rate-limit policy.");
    }

    public void Forwarded(string route, string? destination, int statusCode, TimeSpan duration)
    {
        var tags = new TagList { { "route", route }, { "destination", destination ?? "none" } };
        _upstreamDuration.Record(duration.TotalSeconds, tags);
        tags.Add("http.response.status_code", statusCode);
        _requests.Add(1, tags);
    }

    public void Rejected(string policy) => _rejections.Add(1, new KeyValuePair<string, object?>("policy", policy));

    public static void MarkRetried(HttpContext context) => context.Items[RetriedKey] = true;

    internal void Retried(string route) => _retries.Add(1, new KeyValuePair<string, object?>("route", route));

    internal const string RetriedKey = "gateway.retried";
}

/// <summary>Records each forwarded request in <see cref="ProxyMetrics"/>.</summary>
public sealed class ProxyMetricsMiddleware(RequestDelegate next, ProxyMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var proxy = context.GetReverseProxyFeature();
            var route = proxy.Route.Config.RouteId;
            metrics.Forwarded(route, proxy.ProxiedDestination?.DestinationId, context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
            if (context.Items.ContainsKey(ProxyMetrics.RetriedKey))
            {
                metrics.Retried(route);
            }
        }
    }
}
