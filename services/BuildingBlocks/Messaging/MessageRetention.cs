using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Messaging;

/// <summary>
/// Deletes what the outbox and the inbox no longer need: published events and handled message ids older than
/// <see cref="EventBusOptions.Retention"/>. A message delivered again after that would be handled again, so the
/// retention must outlast any redelivery — retries take seconds; a dead-lettered message replayed by hand days
/// later is the case to size it for. Every instance runs it; the deletes do not mind each other.
/// </summary>
internal sealed partial class MessageRetention<TContext>(IServiceScopeFactory scopes, IOptions<EventBusOptions> options,
    TimeProvider time, ILogger<MessageRetention<TContext>> logger) : BackgroundService where TContext : DbContext
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RetentionInterval, time);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<TContext>();
                var before = time.GetUtcNow() - options.Value.Retention;
                var events = await db.Database.ExecuteSqlAsync($"DELETE FROM outbox_messages WHERE published_at < {before}", stoppingToken);
                var handled = await db.Database.ExecuteSqlAsync($"DELETE FROM inbox_messages WHERE processed_at < {before}", stoppingToken);
                if (events + handled > 0)
                {
                    LogDeleted(logger, events, handled, before);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e.Message); // the database may be away; the next round tries again
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(LogLevel.Information, "Deleted {Events} published outbox events and {Handled} inbox entries from before {Before}")]
    private static partial void LogDeleted(ILogger logger, int events, int handled, DateTimeOffset before);

    [LoggerMessage(LogLevel.Warning, "Outbox and inbox clean-up failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
