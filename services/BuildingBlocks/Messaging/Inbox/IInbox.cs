namespace Platform.Messaging.Inbox;

/// <summary>Runs a message's handler at most once per consumer, atomically with the handler's own database work.</summary>
public interface IInbox
{
    /// <summary>Runs <paramref name="handle"/> unless this consumer has handled <paramref name="messageId"/> before; false when skipped.</summary>
    /// <param name="integrationEvent">The message's event: which database it belongs to, where there are several (shards).</param>
    /// <param name="messageId">The message's id.</param>
    /// <param name="handle">The handler's work.</param>
    /// <param name="cancellationToken">Stopping.</param>
    Task<bool> HandleOnceAsync(IntegrationEvent integrationEvent, Guid messageId, Func<CancellationToken, Task> handle, CancellationToken cancellationToken);
}
