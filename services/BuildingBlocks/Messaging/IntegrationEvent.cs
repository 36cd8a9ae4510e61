namespace Platform.Messaging;

/// <summary>
/// Something that happened in one service that others may react to. Its type name is its routing key;
/// its <see cref="Id"/> is the message id that consumers deduplicate on.
/// </summary>
public abstract record IntegrationEvent
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public DateTimeOffset OccurredAt { get; init; } = DateTimeOffset.UtcNow;
}
