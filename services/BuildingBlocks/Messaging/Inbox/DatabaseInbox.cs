using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Platform.Messaging.Inbox;

/// <summary>
/// The inbox in the consumer's own database: one transaction records the message id, runs the handler
/// (whose changes and outgoing events go through the same scoped <typeparamref name="TContext"/>) and
/// commits. A redelivered message finds its row and is skipped; a crash before the commit leaves no trace.
/// <paramref name="database"/> picks the context for an event (the scope's own, or the one of the event's shard); the handler
/// must work through that same context.
/// </summary>
internal sealed class DatabaseInbox<TContext>(
    Func<IntegrationEvent, CancellationToken, ValueTask<TContext>> database, IOptions<EventBusOptions> options) : IInbox where TContext : DbContext
{
    public async Task<bool> HandleOnceAsync(IntegrationEvent integrationEvent, Guid messageId, Func<CancellationToken, Task> handle, CancellationToken cancellationToken)
    {
        var consumer = options.Value.Consumer;
        var db = await database(integrationEvent, cancellationToken);
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear(); // a retried attempt starts from nothing
            db.Database.AutoSavepointsEnabled = false; // all or nothing anyway: no SAVEPOINT round trip before SaveChanges
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            // A concurrent duplicate waits here on the first one's row, then finds it.
            var recorded = await db.Database.ExecuteSqlAsync($"""
                INSERT INTO inbox_messages (message_id, consumer, processed_at) VALUES ({messageId}, {consumer}, now())
                ON CONFLICT DO NOTHING
                """, ct);
            if (recorded == 0)
            {
                return false;
            }

            await handle(ct);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return true;
        }, cancellationToken);
    }
}
