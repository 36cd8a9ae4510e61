namespace Platform.Messaging.Inbox;

/// <summary>A message a consumer has handled, written in the handler's transaction: a redelivery finds it and is skipped.</summary>
public sealed class InboxMessage
{
    public Guid MessageId { get; set; }

    public required string Consumer { get; set; }

    public DateTimeOffset ProcessedAt { get; set; }
}
