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

    /// <summary>Times the broker refused it.</summary>
    public int Attempts { get; set; }

    /// <summary>Why the broker last refused it.</summary>
    public string? LastError { get; set; }

    /// <summary>When the relay gave up on it (<see cref="EventBusOptions.OutboxMaxAttempts"/> refusals); null while it is still tried.</summary>
    public DateTimeOffset? ParkedAt { get; set; }

    public string? TraceParent { get; set; }

    public string? TraceState { get; set; }
}
