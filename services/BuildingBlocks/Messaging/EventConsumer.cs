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
/// blocks the queue. A crash before the ack means redelivery, which the inbox turns into a no-op.
/// </summary>
internal sealed partial class EventConsumer(IConnection connection, EventPublisher publisher, Subscriptions subscriptions,
    IServiceScopeFactory scopes, IOptions<EventBusOptions> options, ILogger<EventConsumer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(false, false, consumerDispatchConcurrency: settings.Concurrency), stoppingToken);
        await EventTopology.DeclareConsumerAsync(channel, settings, subscriptions.EventNames, stoppingToken);
        await channel.BasicQosAsync(0, settings.Prefetch, global: false, stoppingToken);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) => HandleAsync(channel, delivery, stoppingToken);
        await channel.BasicConsumeAsync(settings.Consumer, autoAck: false, consumer, stoppingToken);
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: unacknowledged messages go back to the queue when the channel closes.
        }
    }

    private async Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery, CancellationToken stoppingToken)
    {
        var properties = delivery.BasicProperties;
        var message = new EventMessage(
            Guid.TryParse(properties.MessageId, out var id) ? id : Guid.Empty, properties.Type ?? delivery.RoutingKey,
            Encoding.UTF8.GetString(delivery.Body.Span), Header(properties, "traceparent"), Header(properties, "tracestate"));
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

            await using (var scope = scopes.CreateAsyncScope())
            {
                if (!await subscription.HandleAsync(scope.ServiceProvider, message, stoppingToken))
                {
                    LogDuplicate(logger, message.Type, message.Id);
                }
            }

            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Not acknowledged: redelivered after the restart.
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            await RetryOrDeadLetterAsync(channel, delivery, message, attempt, e, stoppingToken);
        }
    }

    private async Task RetryOrDeadLetterAsync(IChannel channel, BasicDeliverEventArgs delivery, EventMessage message, int attempt,
        Exception error, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var poison = error is PoisonMessageException or JsonException || attempt >= settings.MaxAttempts;
        var queue = poison
            ? EventTopology.DeadLetterQueue(settings.Consumer)
            : EventTopology.RetryQueue(settings.Consumer, Math.Min(attempt - 1, settings.RetryDelays.Count - 1));
        try
        {
            // Moved first, acknowledged second: a crash in between means a duplicate (which the inbox absorbs), never a loss.
            await publisher.SendToQueueAsync(queue, message, attempt + 1, $"{error.GetType().Name}: {error.Message}", stoppingToken);
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
            LogFailed(logger, message.Type, message.Id, attempt, queue, error.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Could not move it (broker trouble): give it back to the queue as it is.
            LogNotMoved(logger, message.Id, e.Message);
            await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None);
        }
    }

    private static string? Header(IReadOnlyBasicProperties properties, string name) =>
        properties.Headers?.TryGetValue(name, out var value) == true && value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : null;

    [LoggerMessage(LogLevel.Information, "{Type} {MessageId} was handled before; skipped")]
    private static partial void LogDuplicate(ILogger logger, string type, Guid messageId);

    [LoggerMessage(LogLevel.Warning, "{Type} {MessageId} failed on attempt {Attempt}; moved to {Queue}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string type, Guid messageId, int attempt, string queue, string reason);

    [LoggerMessage(LogLevel.Error, "Message {MessageId} could not be moved to retry or dead-letter; requeued: {Reason}")]
    private static partial void LogNotMoved(ILogger logger, Guid messageId, string reason);
}

/// <summary>A message that no number of retries can handle (unknown type, unreadable body): dead-lettered at once.</summary>
public sealed class PoisonMessageException(string message) : Exception(message);
