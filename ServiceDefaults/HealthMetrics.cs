using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The service's readiness as a metric (meter <c>Platform.Health</c>, <c>health.status</c>: 1 while every check passes, as
/// <c>/health</c> would answer, else 0), so that an alert sees a service that is up but unhealthy — its database gone,
/// say. The checks run every 30 s (the health-check publisher's default period).
/// </summary>
internal sealed class HealthMetrics : IHealthCheckPublisher
{
    public const string MeterName = "Platform.Health";

    private int? _status;

    public HealthMetrics(IMeterFactory meters)
    {
        meters.Create(MeterName).CreateObservableGauge("health.status", Observe, unit: null,
            description: "1 while every readiness check passes, else 0 (checked every 30 s).");
    }

    private IEnumerable<Measurement<int>> Observe() => _status is { } status ? [new Measurement<int>(status)] : [];

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        _status = report.Status == HealthStatus.Unhealthy ? 0 : 1;
        return Task.CompletedTask;
    }
}
