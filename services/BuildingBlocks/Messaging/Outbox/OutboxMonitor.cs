using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.Messaging.Outbox;

/// <summary>
/// Counts a database's outbox every <see cref="Interval"/> into <see cref="MessagingMetrics"/>: pending events, the oldest
/// one's creation time, parked events. Each query reads one of the outbox's partial indexes only.
/// </summary>
internal sealed partial class OutboxMonitor(NpgsqlDataSource database, string databaseName, MessagingMetrics metrics, TimeProvider time,
    ILogger<OutboxMonitor> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await using var command = database.CreateCommand("""
                    SELECT count(*), min(created_at) FROM outbox_messages WHERE published_at IS NULL AND parked_at IS NULL;
                    SELECT count(*) FROM outbox_messages WHERE parked_at IS NOT NULL
                    """);
                await using var reader = await command.ExecuteReaderAsync(stoppingToken);
                await reader.ReadAsync(stoppingToken);
                var pending = reader.GetInt64(0);
                DateTimeOffset? oldest = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1);
                await reader.NextResultAsync(stoppingToken);
                await reader.ReadAsync(stoppingToken);
                metrics.OutboxSampled(databaseName, pending, oldest, reader.GetInt64(0));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSampleFailed(logger, e.Message); // the database is away: the oldest event's age keeps growing meanwhile
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(LogLevel.Debug, "Could not count the outbox: {Reason}")]
    private static partial void LogSampleFailed(ILogger logger, string reason);
}
