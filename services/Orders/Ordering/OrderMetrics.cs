using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Platform.Orders.Ordering;

/// <summary>
/// Whether orders flow (meter <c>Platform.Orders</c>): orders placed, settled by outcome and reason, the time from placed
/// to settled, and how long the oldest order still processing has waited. docs/operations.md lists them.
/// </summary>
public sealed class OrderMetrics
{
    public const string MeterName = "Platform.Orders";

    /// <summary>Why an order was cancelled, as a bounded label (the event's own reason is free text, in the log).</summary>
    public static class Reasons
    {
        public const string OutOfStock = "out_of_stock";
        public const string PaymentDeclined = "payment_declined";
        public const string Expired = "expired";
    }

    private readonly Counter<long> _placed;
    private readonly Counter<long> _settled;
    private readonly Histogram<double> _settleDuration;
    private readonly TimeProvider _time;
    private DateTimeOffset? _oldestProcessing;

    public OrderMetrics(IMeterFactory meters, TimeProvider time)
    {
        _time = time;
        var meter = meters.Create(MeterName);
        _placed = meter.CreateCounter<long>("orders.placed", "{order}", "Orders accepted (a retry with the same idempotency key is not counted again).");
        _settled = meter.CreateCounter<long>("orders.settled", "{order}", "Orders that left processing, by order.status (confirmed, cancelled) and the reason of a cancellation.");
        _settleDuration = meter.CreateHistogram<double>("orders.settle.duration", "s", "Time from placed to settled.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800] });
        meter.CreateObservableGauge("orders.processing.oldest_age", () => OldestProcessingAge().TotalSeconds, "s",
            "How long the oldest order still processing has waited (0 when none does); sampled every Orders:DeadlineCheckInterval.");
    }

    public void Placed() => _placed.Add(1);

    public void Confirmed(TimeSpan sincePlaced) => Settled("confirmed", null, sincePlaced);

    public void Cancelled(string reason, TimeSpan sincePlaced) => Settled("cancelled", reason, sincePlaced);

    /// <summary>When the oldest order still processing was placed (null: none is), as last sampled.</summary>
    public void OldestProcessing(DateTimeOffset? placedAt) => _oldestProcessing = placedAt;

    // Keeps growing while the sample cannot be refreshed (the database is away): an alert errs on the side of firing.
    private TimeSpan OldestProcessingAge() =>
        _oldestProcessing is { } placedAt ? TimeSpan.FromTicks(Math.Max(0, (_time.GetUtcNow() - placedAt).Ticks)) : TimeSpan.Zero;

    private void Settled(string status, string? reason, TimeSpan sincePlaced)
    {
        var tags = new TagList { { "order.status", status } };
        if (reason is not null)
        {
            tags.Add("reason", reason);
        }

        _settled.Add(1, tags);
        _settleDuration.Record(sincePlaced.TotalSeconds, new KeyValuePair<string, object?>("order.status", status));
    }
}
