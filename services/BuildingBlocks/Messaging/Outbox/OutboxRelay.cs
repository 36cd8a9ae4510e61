using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using RabbitMQ.Client.Exceptions;

namespace Platform.Messaging.Outbox;

/// <summary>
/// Publishes pending outbox rows, oldest first, and marks each one published once the broker has confirmed it.
/// A broker outage only delays events: the rows wait, and the relay retries with back-off. Several service
/// instances may run a relay; a transaction-scoped advisory lock lets one batch through at a time, which
/// keeps the publication order of the whole outbox (and so the order of events per aggregate). The relay sleeps
/// until the database notifies it of new rows (<see cref="OutboxNotifications"/>), and looks anyway every
/// <see cref="EventBusOptions.OutboxPollInterval"/>.
/// </summary>
internal sealed partial class OutboxRelay(NpgsqlDataSource database, string databaseName, EventPublisher publisher, MessagingMetrics metrics,
    IOptions<EventBusOptions> options, ILogger<OutboxRelay> logger) : BackgroundService
{
    private const int BatchSize = 100;
    private static readonly TimeSpan FirstBackOff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromSeconds(5);

    // Latched: a notification that arrives while a batch is running makes the next wait return at once.
    private readonly SemaphoreSlim _notified = new(0, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listening = ListenAsync(stoppingToken);
        var backOff = FirstBackOff;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var relayed = await RelayBatchAsync(stoppingToken);
                backOff = FirstBackOff;
                if (relayed < BatchSize)
                {
                    await _notified.WaitAsync(options.Value.OutboxPollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogRelayFailed(logger, backOff.TotalSeconds, e.Message);
                await Task.Delay(backOff, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                backOff = TimeSpan.FromTicks(Math.Min(backOff.Ticks * 2, MaxBackOff.Ticks));
            }
        }

        await listening;
    }

    /// <summary>Holds a connection that listens on the outbox channel, and opens it again when it drops.</summary>
    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, _) => Notify();
                await using (var listen = new NpgsqlCommand($"LISTEN {OutboxNotifications.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                Notify(); // rows added while no one listened
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The database is down or restarting: the relay polls meanwhile.
                LogListenFailed(logger, e.Message);
                await Task.Delay(MaxBackOff, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private void Notify()
    {
        try
        {
            _notified.Release();
        }
        catch (SemaphoreFullException)
        {
            // already notified
        }
    }

    public override void Dispose()
    {
        _notified.Dispose();
        base.Dispose();
    }

    /// <summary>One batch in one transaction: lock, read pending rows, publish them in order, mark the confirmed ones.</summary>
    private async Task<int> RelayBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_try_advisory_xact_lock(hashtext('platform.outbox'))", connection, transaction))
        {
            if (!(bool)(await lockCommand.ExecuteScalarAsync(cancellationToken))!)
            {
                return 0; // another instance is relaying this batch
            }
        }

        var pending = new List<(long Sequence, EventMessage Message)>();
        await using (var select = new NpgsqlCommand(
            "SELECT sequence, id, type, payload::text, trace_parent, trace_state FROM outbox_messages WHERE published_at IS NULL AND parked_at IS NULL ORDER BY sequence LIMIT $1",
            connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = BatchSize });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                pending.Add((reader.GetInt64(0), new EventMessage(reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5))));
            }
        }

        // The whole batch goes out in order on one channel, then the confirms are awaited together: one broker
        // round trip (and disk sync) per batch instead of per event.
        var confirms = await publisher.PublishAllAsync(pending.Select(p => p.Message).ToList(), cancellationToken);
        var published = pending.Where((_, i) => confirms[i] is null).Select(p => p.Sequence).ToArray();
        // Refused: the broker returned it as unroutable. A nack is not counted: it says a queue is full (or the broker is
        // struggling), so the event waits here, with the ones behind it, until there is room — back-pressure, not a fault.
        var refused = pending.Select((p, i) => (p.Sequence, Error: confirms[i])).Where(r => r.Error is PublishReturnException).ToList();
        if (published.Length > 0 || refused.Count > 0)
        {
            // What the broker confirmed is marked even when others failed, so it is not sent again.
            await using (var mark = new NpgsqlCommand("UPDATE outbox_messages SET published_at = now() WHERE sequence = ANY($1)", connection, transaction))
            {
                mark.Parameters.Add(new NpgsqlParameter { Value = published });
                await mark.ExecuteNonQueryAsync(CancellationToken.None);
            }

            foreach (var (sequence, error) in refused)
            {
                await CountRefusalAsync(connection, transaction, sequence, error!.Message);
            }

            await transaction.CommitAsync(CancellationToken.None);
            metrics.Published(databaseName, published.Length);
        }

        if (confirms.FirstOrDefault(e => e is not null) is { } failure)
        {
            throw new IOException($"{published.Length} of {pending.Count} events published: {failure.Message}", failure);
        }

        return pending.Count;
    }

    /// <summary>
    /// The broker refused the event: one more attempt counted, with its error; at <see cref="EventBusOptions.OutboxMaxAttempts"/>
    /// it is parked, so it no longer holds up the events behind it (order still holds among the others, per aggregate too).
    /// </summary>
    private async Task CountRefusalAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long sequence, string error)
    {
        await using var count = new NpgsqlCommand("""
            UPDATE outbox_messages SET attempts = attempts + 1, last_error = left($2, 2000),
                parked_at = CASE WHEN attempts + 1 >= $3 THEN now() END
            WHERE sequence = $1
            RETURNING parked_at IS NOT NULL, type, id
            """, connection, transaction)
        {
            Parameters = { new() { Value = sequence }, new() { Value = error }, new() { Value = options.Value.OutboxMaxAttempts } },
        };
        await using var reader = await count.ExecuteReaderAsync(CancellationToken.None);
        if (await reader.ReadAsync(CancellationToken.None) && reader.GetBoolean(0))
        {
            LogParked(logger, reader.GetString(1), reader.GetGuid(2), options.Value.OutboxMaxAttempts, error);
        }
    }

    [LoggerMessage(LogLevel.Error, "Outbox event {Type} {Id} parked after the broker refused it {Attempts} times: {Error}")]
    private static partial void LogParked(ILogger logger, string type, Guid id, int attempts, string error);

    [LoggerMessage(LogLevel.Warning, "Outbox relay paused for {Seconds} s: {Reason}")]
    private static partial void LogRelayFailed(ILogger logger, double seconds, string reason);

    [LoggerMessage(LogLevel.Warning, "Outbox relay cannot listen for new events, polling meanwhile: {Reason}")]
    private static partial void LogListenFailed(ILogger logger, string reason);
}
