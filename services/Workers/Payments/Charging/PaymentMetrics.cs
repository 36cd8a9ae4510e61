using System.Diagnostics.Metrics;

namespace Platform.Payments.Charging;

/// <summary>Charges approved and declined, and how long the provider takes (meter <c>Platform.Payments</c>); docs/operations.md lists them.</summary>
public sealed class PaymentMetrics
{
    public const string MeterName = "Platform.Payments";

    private readonly Counter<long> _charges;
    private readonly Histogram<double> _providerDuration;

    public PaymentMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _charges = meter.CreateCounter<long>("payments.charges", "{payment}", "Charges the provider answered, by outcome (approved, declined).");
        _providerDuration = meter.CreateHistogram<double>("payments.provider.duration", "s", "Time the payment provider took to answer a charge.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    }

    public void Charged(bool approved, TimeSpan providerTime)
    {
        var outcome = new KeyValuePair<string, object?>("outcome", approved ? "approved" : "declined");
        _charges.Add(1, outcome);
        _providerDuration.Record(providerTime.TotalSeconds, outcome);
    }
}
