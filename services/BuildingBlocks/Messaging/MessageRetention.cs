using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Messaging;

/// <summary>
/// Deletes what the outbox and the inbox no longer need: published events and handled message ids older than
/// <see cref="EventBusOptions.Retention"/>. A message delivered again after that would be handled again, so the
/// retention must outlast any redelivery — retries take seconds; a dead-lettered message replayed by hand days
/// later is the case to size it for. Every instance runs it, for each database it relays; the deletes do not mind each other.
/// </summary>
internal sealed partial class MessageRetention(NpgsqlDataSource database, IOptions<EventBusOptions> options,
    TimeProvider time, ILogger<MessageRetention> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RetentionInterval, time);
        do
        {
            try
            {
                var before = time.GetUtcNow() - options.Value.Retention;
                var events = await DeleteAsync("DELETE FROM outbox_messages WHERE published_at < $1", before, stoppingToken);
                var handled = await DeleteAsync("DELETE FROM inbox_messages WHERE processed_at < $1", before, stoppingToken);
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

    private async Task<int> DeleteAsync(string sql, DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = before });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(LogLevel.Information, "Deleted {Events} published outbox events and {Handled} inbox entries from before {Before}")]
    private static partial void LogDeleted(ILogger logger, int events, int handled, DateTimeOffset before);

    [LoggerMessage(LogLevel.Warning, "Outbox and inbox clean-up failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
