namespace Platform.Messaging;

/// <summary>
/// Whether this instance's consumer is receiving, and since when. A reader that keeps state fed by events (a page
/// showing an order's status) uses it to know whether it may have missed one: it did if the consumer is not
/// receiving now, or started receiving again after the reader began to listen.
/// </summary>
public sealed class ConsumerStatus(TimeProvider time)
{
    private long _consumingSinceTicks; // UTC; 0 while not consuming

    /// <summary>When the consumer last began receiving without interruption since; null while it does not receive.</summary>
    public DateTimeOffset? ConsumingSince => Interlocked.Read(ref _consumingSinceTicks) is var ticks and > 0
        ? new DateTimeOffset(ticks, TimeSpan.Zero)
        : null;

    /// <summary>True when every event delivered to this instance since <paramref name="since"/> has reached its handlers.</summary>
    public bool ReceivingSince(DateTimeOffset since) => ConsumingSince is { } consuming && consuming <= since;

    /// <summary>Called by the consumer while it receives.</summary>
    public void Receiving()
    {
        if (Interlocked.Read(ref _consumingSinceTicks) == 0)
        {
            Interlocked.Exchange(ref _consumingSinceTicks, time.GetUtcNow().UtcTicks);
        }
    }

    /// <summary>Called by the consumer when it stops receiving (its channel closed, the connection lost).</summary>
    public void Interrupted() => Interlocked.Exchange(ref _consumingSinceTicks, 0);
}
