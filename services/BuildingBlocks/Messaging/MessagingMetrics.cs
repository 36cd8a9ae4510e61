using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Platform.Messaging;

/// <summary>
/// The event bus's instruments in every service that uses it (meter <c>Platform.Messaging</c>): the outbox — events
/// published, pending, parked, and the age of the oldest pending one, per database — and the inbox's duplicates skipped.
/// Queue depths are the broker's own (docs/operations.md).
/// </summary>
public sealed class MessagingMetrics
{
    public const string MeterName = "Platform.Messaging";

    private readonly Counter<long> _published;
    private readonly Counter<long> _duplicates;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, OutboxSample> _outboxes = new();

    public MessagingMetrics(IMeterFactory meters, TimeProvider time)
    {
        _time = time;
        var meter = meters.Create(MeterName);
        _published = meter.CreateCounter<long>("messaging.outbox.published", "{message}", "Outbox events the broker confirmed.");
        _duplicates = meter.CreateCounter<long>("messaging.inbox.duplicates", "{message}", "Deliveries of a message already handled, skipped by the inbox.");
        meter.CreateObservableGauge("messaging.outbox.pending", () => Outboxes(s => s.Pending), "{message}", "Outbox events not yet published.");
        meter.CreateObservableGauge("messaging.outbox.parked", () => Outboxes(s => s.Parked), "{message}",
            "Outbox events the relay gave up on after the broker refused them EventBus:OutboxMaxAttempts times.");
        meter.CreateObservableGauge("messaging.outbox.oldest_age", () => Outboxes(s => OldestAge(s).TotalSeconds), "s",
            "How long the oldest pending outbox event has waited (0 when none does).");
    }

    internal void Published(string database, int count) => _published.Add(count, new KeyValuePair<string, object?>("db.namespace", database));

    internal void DuplicateSkipped(string type) => _duplicates.Add(1, new KeyValuePair<string, object?>("messaging.message.type", type));

    /// <summary>What <see cref="Outbox.OutboxMonitor"/> last counted in a database's outbox.</summary>
    internal void OutboxSampled(string database, long pending, DateTimeOffset? oldestPending, long parked) =>
        _outboxes[database] = new OutboxSample(pending, oldestPending, parked);

    private IEnumerable<Measurement<T>> Outboxes<T>(Func<OutboxSample, T> value) where T : struct =>
        _outboxes.Select(o => new Measurement<T>(value(o.Value), new KeyValuePair<string, object?>("db.namespace", o.Key)));

    // Keeps growing while the sample cannot be refreshed (the database is away): an alert errs on the side of firing.
    private TimeSpan OldestAge(OutboxSample sample) => sample.OldestPending is { } oldest
        ? TimeSpan.FromTicks(Math.Max(0, (_time.GetUtcNow() - oldest).Ticks))
        : TimeSpan.Zero;

    private sealed record OutboxSample(long Pending, DateTimeOffset? OldestPending, long Parked);
}
