using System.Data.Common;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Platform.Messaging;

/// <summary>
/// Consumes this service's queue. A message is acknowledged only after its handler — and the handler's
/// database transaction — has completed; a failure sends it to a retry queue (back-off) and, after
/// <see cref="EventBusOptions.MaxAttempts"/>, to the dead-letter queue, so one poison message never
/// blocks the queue — unless a database is away, which spends no attempts for <see cref="EventBusOptions.OutageTolerance"/>
/// (retried after delays that grow with the outage).
/// A crash before the ack means redelivery, which the inbox turns into a no-op.
/// </summary>
internal sealed partial class EventConsumer(BrokerConnection connection, EventPublisher publisher, Subscriptions subscriptions,
    ConsumerStatus status, MessagingMetrics metrics, IServiceScopeFactory scopes, IOptions<EventBusOptions> options, TimeProvider time,
    ILogger<EventConsumer> logger)
    : BackgroundService
{
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ChannelCheckInterval = TimeSpan.FromSeconds(2);
    private const ushort ChannelClassId = 20; // AMQP class of channel.close (a connection-level close is class 10)

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backOff = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            IChannel channel;
            AsyncEventingBasicConsumer consumer;
            try
            {
                (channel, consumer) = await StartConsumingAsync(stoppingToken);
                LogConsuming(logger, options.Value.Queue);
                backOff = TimeSpan.FromMilliseconds(250);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The broker may be down or restarting: keep trying, never stop the host.
                LogNotConsuming(logger, options.Value.Queue, backOff.TotalSeconds, e.Message);
                await Task.Delay(backOff, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                backOff = TimeSpan.FromTicks(Math.Min(backOff.Ticks * 2, MaxBackOff.Ticks));
                continue;
            }

            await using (channel)
            {
                status.Receiving();
                channel.ChannelShutdownAsync += (_, _) =>
                {
                    status.Interrupted(); // at once: a connection may be recovered between two checks
                    return Task.CompletedTask;
                };
                await WhileConsumingAsync(channel, consumer, status, stoppingToken);
                status.Interrupted();
            }
        }
    }

    /// <summary>
    /// Returns when stopping, or when the broker ended the consumer while the connection is up — it closed the channel
    /// (a channel error) or cancelled the consumer (its queue was deleted). Automatic recovery repairs neither; it only
    /// reopens lost connections with their channels and consumers. The caller then declares and consumes again.
    /// While the connection is being recovered the channel is closed: <paramref name="status"/> says so, as events sent to
    /// an instance's own (auto-delete) queue in that time are lost.
    /// </summary>
    private static async Task WhileConsumingAsync(IChannel channel, AsyncEventingBasicConsumer consumer, ConsumerStatus status,
        CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(ChannelCheckInterval);
        var endedChecks = 0; // twice in a row, so that a recovery in progress is not taken for an end
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var ended = channel.IsOpen
                    ? !consumer.IsRunning
                    : channel.CloseReason is { Initiator: ShutdownInitiator.Peer, ClassId: ChannelClassId };
                if (channel.IsOpen && consumer.IsRunning)
                {
                    status.Receiving();
                }
                else
                {
                    status.Interrupted();
                }

                endedChecks = ended ? endedChecks + 1 : 0;
                if (endedChecks >= 2)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down: unacknowledged messages go back to the queue when the channel closes.
        }
    }

    private async Task<(IChannel, AsyncEventingBasicConsumer)> StartConsumingAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var channel = await (await connection.GetAsync()).CreateChannelAsync(
            new CreateChannelOptions(false, false, consumerDispatchConcurrency: settings.Concurrency), stoppingToken);
        try
        {
            await EventTopology.DeclareConsumerAsync(channel, settings, subscriptions.EventNames, stoppingToken);
            await channel.BasicQosAsync(0, settings.Prefetch, global: false, stoppingToken);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, delivery) => HandleAsync(channel, delivery, stoppingToken);
            await channel.BasicConsumeAsync(settings.Queue, autoAck: false, consumer, stoppingToken);
            if (!settings.EachInstance)
            {
                await RedriveUnroutedAsync(channel, stoppingToken); // while consuming already: a long backlog delays nothing
            }

            return (channel, consumer);
        }
        catch
        {
            await channel.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Events published before anyone subscribed to them (a consumer's first start on a new broker) wait in the
    /// unrouted queue. Now that this consumer's bindings exist, the ones it subscribes to move into its queue; the others
    /// stay for their consumers. (Moved, not published again: a service may publish only its own events.)
    /// </summary>
    private async Task RedriveUnroutedAsync(IChannel channel, CancellationToken stoppingToken)
    {
        try
        {
            await RedriveBatchesAsync(channel, stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // What was not moved stays in the unrouted queue (taken but unacknowledged: back when this channel closes).
            LogNotRedriven(logger, e.Message);
        }
    }

    private async Task RedriveBatchesAsync(IChannel channel, CancellationToken stoppingToken)
    {
        const int batchSize = 100;
        var queue = EventTopology.UnroutedQueue(options.Value);
        var waiting = (await channel.QueueDeclarePassiveAsync(queue, stoppingToken)).MessageCount; // those sent back come after these
        var others = new List<ulong>(); // held until the end, so that the next take finds the next event, not these again
        var moved = 0;
        for (var taken = 0; taken < waiting;)
        {
            var batch = new List<BasicGetResult>();
            while (batch.Count < batchSize && taken + batch.Count < waiting
                && await channel.BasicGetAsync(queue, autoAck: false, stoppingToken) is { } unrouted)
            {
                batch.Add(unrouted);
            }

            if (batch.Count == 0)
            {
                break; // another instance took them
            }

            taken += batch.Count;
            var mine = batch.Where(m => subscriptions.TryGet(m.BasicProperties.Type ?? m.RoutingKey, out _)).ToList();
            others.AddRange(batch.Except(mine).Select(m => m.DeliveryTag));
            var failures = await publisher.MoveAllAsync(options.Value.Queue,
                mine.Select(m => ToEventMessage(m.BasicProperties, m.RoutingKey, m.Body)).ToList(), stoppingToken);
            for (var i = 0; i < mine.Count; i++)
            {
                // Not confirmed: back into the unrouted queue for the next start.
                await (failures[i] is null
                    ? channel.BasicAckAsync(mine[i].DeliveryTag, multiple: false, stoppingToken)
                    : channel.BasicNackAsync(mine[i].DeliveryTag, multiple: false, requeue: true, stoppingToken));
            }

            moved += failures.Count(f => f is null);
        }

        foreach (var tag in others)
        {
            await channel.BasicNackAsync(tag, multiple: false, requeue: true, stoppingToken);
        }

        if (moved > 0)
        {
            LogRedriven(logger, moved, queue, options.Value.Queue);
        }
    }

    private static EventMessage ToEventMessage(IReadOnlyBasicProperties properties, string routingKey, ReadOnlyMemory<byte> body) => new(
        Guid.TryParse(properties.MessageId, out var id) ? id : Guid.Empty, properties.Type ?? routingKey,
        Encoding.UTF8.GetString(body.Span), Header(properties, "traceparent"), Header(properties, "tracestate"));

    private async Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery, CancellationToken stoppingToken)
    {
        var properties = delivery.BasicProperties;
        var message = ToEventMessage(properties, delivery.RoutingKey, delivery.Body);
        var attempt = EventPublisher.Attempt(properties);
        using var activity = EventPublisher.ActivitySource.StartActivity($"{message.Type} process", ActivityKind.Consumer,
            ActivityContext.TryParse(message.TraceParent, message.TraceState, out var parent) ? parent : default);
        activity?.SetTag("messaging.message.id", message.Id);
        activity?.SetTag("messaging.consumer.group.name", options.Value.Consumer);
        try
        {
            if (message.Id == Guid.Empty || !subscriptions.TryGet(message.Type, out var subscription))
            {
                throw new PoisonMessageException($"No handler for '{message.Type}' or no message id.");
            }

            if (attempt is null)
            {
                throw new PoisonMessageException($"The {EventPublisher.AttemptHeader} header is not a positive number.");
            }

            await using (var scope = scopes.CreateAsyncScope())
            {
                if (!await subscription.HandleAsync(scope.ServiceProvider, message, stoppingToken))
                {
                    LogDuplicate(logger, message.Type, message.Id);
                    metrics.DuplicateSkipped(message.Type);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return; // not acknowledged: redelivered after the restart
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            await RetryOrDeadLetterAsync(channel, delivery, message, attempt ?? options.Value.MaxAttempts, e, stoppingToken);
            return;
        }

        await SettleAsync(channel, delivery, message.Id, ack: true);
    }

    /// <summary>Acks or requeues. When the channel is gone the broker redelivers the message anyway — and the inbox skips it.</summary>
    private async Task SettleAsync(IChannel channel, BasicDeliverEventArgs delivery, Guid messageId, bool ack)
    {
        try
        {
            if (ack)
            {
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
            }
            else
            {
                await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogNotSettled(logger, messageId, e.Message);
        }
    }

    private async Task RetryOrDeadLetterAsync(IChannel channel, BasicDeliverEventArgs delivery, EventMessage message, int attempt,
        Exception error, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.EachInstance)
        {
            // Only this instance's users were waiting for it, and they can reload: not worth a retry queue per instance.
            LogDropped(logger, message.Type, message.Id, error.Message);
            await SettleAsync(channel, delivery, message.Id, ack: true);
            return;
        }

        var now = time.GetUtcNow();
        var firstFailure = EventPublisher.FirstFailure(delivery.BasicProperties) ?? now;
        var outage = IsOutage(error) && now - firstFailure < settings.OutageTolerance;
        var poison = !outage && (error is PoisonMessageException or JsonException || attempt >= settings.MaxAttempts);
        var queue = poison
            ? EventTopology.DeadLetterQueue(settings.Consumer)
            : EventTopology.RetryQueue(settings.Consumer, outage ? OutageStep(settings.RetryDelays, now - firstFailure) : Math.Min(attempt - 1, settings.RetryDelays.Count - 1));
        try
        {
            // Moved first, acknowledged second: a crash in between means a duplicate (which the inbox absorbs), never a loss.
            await publisher.MoveAsync(queue, message, outage ? attempt : attempt + 1, Describe(error), firstFailure, stoppingToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Could not move it (broker trouble, or that queue is full): give it back to the queue as it is — after a
            // pause, not in a hot loop. The broker counts these deliveries and dead-letters it at EventBus:DeliveryLimit.
            LogNotMoved(logger, message.Id, settings.MoveRetryDelay.TotalSeconds, e.Message);
            await Task.Delay(settings.MoveRetryDelay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            await SettleAsync(channel, delivery, message.Id, ack: false);
            return;
        }

        LogFailed(logger, message.Type, message.Id, attempt, queue, error.Message);
        await SettleAsync(channel, delivery, message.Id, ack: true);
    }

    /// <summary>The failure and, when it wraps one (EF's "likely due to a transient failure"), its root cause: what an operator needs.</summary>
    private static string Describe(Exception error) => error.GetBaseException() is { } cause && cause != error
        ? $"{error.GetType().Name}: {error.Message} ({cause.GetType().Name}: {cause.Message})"
        : $"{error.GetType().Name}: {error.Message}";

    /// <summary>An outage's back-off grows with its length: the longest retry delay not longer than it has lasted (the first at least).</summary>
    internal static int OutageStep(IList<TimeSpan> delays, TimeSpan lasted)
    {
        var step = 0;
        while (step + 1 < delays.Count && delays[step + 1] <= lasted)
        {
            step++;
        }

        return step;
    }

    /// <summary>
    /// A database away, anywhere in the exception's chain: Npgsql and the sharding building block mark such failures
    /// <see cref="DbException.IsTransient"/> (a server down, restarting or refusing connections, a bucket being moved);
    /// Npgsql's "no suitable host" carries each host's failure in an <see cref="AggregateException"/>.
    /// </summary>
    internal static bool IsOutage(Exception? error) => error switch
    {
        null => false,
        DbException { IsTransient: true } => true,
        AggregateException many => many.InnerExceptions.Any(IsOutage),
        _ => IsOutage(error.InnerException),
    };

    private static string? Header(IReadOnlyBasicProperties properties, string name) =>
        properties.Headers?.TryGetValue(name, out var value) == true && value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : null;

    [LoggerMessage(LogLevel.Warning, "Unrouted events not sent again (they wait for the next start): {Reason}")]
    private static partial void LogNotRedriven(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Information, "Moved {Count} events from {Queue} to {Consumer}")]
    private static partial void LogRedriven(ILogger logger, int count, string queue, string consumer);

    [LoggerMessage(LogLevel.Information, "Consuming queue {Queue}")]
    private static partial void LogConsuming(ILogger logger, string queue);

    [LoggerMessage(LogLevel.Warning, "Cannot consume queue {Queue} yet; retrying in {Seconds} s: {Reason}")]
    private static partial void LogNotConsuming(ILogger logger, string queue, double seconds, string reason);

    [LoggerMessage(LogLevel.Warning, "Message {MessageId} could not be settled (it will be redelivered): {Reason}")]
    private static partial void LogNotSettled(ILogger logger, Guid messageId, string reason);

    [LoggerMessage(LogLevel.Information, "{Type} {MessageId} was handled before; skipped")]
    private static partial void LogDuplicate(ILogger logger, string type, Guid messageId);

    [LoggerMessage(LogLevel.Warning, "{Type} {MessageId} failed on attempt {Attempt}; moved to {Queue}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string type, Guid messageId, int attempt, string queue, string reason);

    [LoggerMessage(LogLevel.Warning, "{Type} {MessageId} failed and was dropped (instance queue): {Reason}")]
    private static partial void LogDropped(ILogger logger, string type, Guid messageId, string reason);

    [LoggerMessage(LogLevel.Error, "Message {MessageId} could not be moved to retry or dead-letter; requeued after {Seconds} s: {Reason}")]
    private static partial void LogNotMoved(ILogger logger, Guid messageId, double seconds, string reason);
}
