using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.Messaging.Outbox;

/// <summary>
/// Publishes pending outbox rows, oldest first, and marks each one published once the broker has confirmed it.
/// A broker outage only delays events: the rows wait, and the relay retries with back-off. Several service
/// instances may run a relay; a transaction-scoped advisory lock lets one batch through at a time, which
/// keeps the publication order of the whole outbox (and so the order of events per aggregate).
/// </summary>
internal sealed partial class OutboxRelay(NpgsqlDataSource database, EventPublisher publisher, ILogger<OutboxRelay> logger) : BackgroundService
{
    private const int BatchSize = 100;
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backOff = IdlePoll;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var relayed = await RelayBatchAsync(stoppingToken);
                backOff = IdlePoll;
                if (relayed < BatchSize)
                {
                    await Task.Delay(IdlePoll, stoppingToken);
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
            "SELECT sequence, id, type, payload::text, trace_parent, trace_state FROM outbox_messages WHERE published_at IS NULL ORDER BY sequence LIMIT $1",
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
        if (published.Length > 0)
        {
            // What the broker confirmed is marked even when others failed, so it is not sent again.
            await using var mark = new NpgsqlCommand("UPDATE outbox_messages SET published_at = now() WHERE sequence = ANY($1)", connection, transaction);
            mark.Parameters.Add(new NpgsqlParameter { Value = published });
            await mark.ExecuteNonQueryAsync(CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
        }

        if (confirms.FirstOrDefault(e => e is not null) is { } failure)
        {
            throw new IOException($"{published.Length} of {pending.Count} events published: {failure.Message}", failure);
        }

        return pending.Count;
    }

    [LoggerMessage(LogLevel.Warning, "Outbox relay paused for {Seconds} s: {Reason}")]
    private static partial void LogRelayFailed(ILogger logger, double seconds, string reason);
}
