namespace Platform.Messaging.Outbox;

/// <summary>
/// An event waiting to be published, written in the same transaction as the state change it reports,
/// so that the change and its event are stored together or not at all.
/// </summary>
public sealed class OutboxMessage
{
    /// <summary>Publication order: the relay publishes strictly by sequence.</summary>
    public long Sequence { get; set; }

    public Guid Id { get; set; }

    public required string Type { get; set; }

    public required string Payload { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the broker confirmed it; null while pending.</summary>
    public DateTimeOffset? PublishedAt { get; set; }

    public string? TraceParent { get; set; }

    public string? TraceState { get; set; }
}
