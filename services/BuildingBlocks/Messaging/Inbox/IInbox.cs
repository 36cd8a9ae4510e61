namespace Platform.Messaging.Inbox;

/// <summary>Runs a message's handler at most once per consumer, atomically with the handler's own database work.</summary>
public interface IInbox
{
    /// <summary>Runs <paramref name="handle"/> unless this consumer has handled <paramref name="messageId"/> before; false when skipped.</summary>
    Task<bool> HandleOnceAsync(Guid messageId, Func<CancellationToken, Task> handle, CancellationToken cancellationToken);
}
