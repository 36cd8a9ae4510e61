using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Platform.Messaging;

/// <summary>
/// Publishes to the broker with publisher confirms: a publish returns only once the broker has taken
/// the message (persisted it for durable queues), and throws when it refuses or cannot route it — or when
/// no confirm comes within <see cref="EventBusOptions.PublishTimeout"/>: after a broker restart the client can
/// wait for a confirm forever (rabbitmq-dotnet-client#1930), and the relay must retry instead of hanging.
/// </summary>
public sealed class EventPublisher(BrokerConnection connection, IOptions<EventBusOptions> options) : IAsyncDisposable
{
    /// <summary>The header that counts deliveries of a message (1 for the first).</summary>
    public const string AttemptHeader = "x-attempt";

    /// <summary>The header that carries why a message was moved to a retry or dead-letter queue.</summary>
    public const string ErrorHeader = "x-error";

    /// <summary>Traces of publishing and handling events.</summary>
    public static readonly ActivitySource ActivitySource = new("Platform.Messaging");

    private readonly SemaphoreSlim _lock = new(1, 1);
    private IChannel? _channel;
    private bool _exchangeDeclared;

    /// <summary>Publishes an event to the events exchange, its type name as the routing key.</summary>
    public Task PublishAsync(EventMessage message, CancellationToken cancellationToken) =>
        SendAsync(options.Value.Exchange, message.Type, message, attempt: 1, error: null, cancellationToken);

    /// <summary>
    /// Publishes the messages in this order, then waits for all their confirms (within one
    /// <see cref="EventBusOptions.PublishTimeout"/>). Returns, per message, null when the broker confirmed it, or why not.
    /// </summary>
    public async Task<IReadOnlyList<Exception?>> PublishAllAsync(IReadOnlyList<EventMessage> messages, CancellationToken cancellationToken)
    {
        var results = new Exception?[messages.Count];
        await _lock.WaitAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.PublishTimeout);
        try
        {
            var channel = await ChannelAsync(timeout.Token);
            var confirms = new List<(int Index, Activity? Activity, Task Confirm)>(messages.Count);
            for (var i = 0; i < messages.Count; i++)
            {
                var (activity, properties) = Prepare(messages[i], attempt: 1, error: null);
                // Started one after the other on one channel: the broker receives them in this order.
                confirms.Add((i, activity, channel.BasicPublishAsync(options.Value.Exchange, messages[i].Type, mandatory: true, properties,
                    Encoding.UTF8.GetBytes(messages[i].Payload), timeout.Token).AsTask()));
            }

            foreach (var (index, activity, confirm) in confirms)
            {
                try
                {
                    await confirm;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    results[index] = new TimeoutException($"The broker did not confirm {messages[index].Type} {messages[index].Id} within {options.Value.PublishTimeout}.");
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    results[index] = e;
                }
                finally
                {
                    activity?.Dispose();
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            results.AsSpan().Fill(new TimeoutException($"No channel to the broker within {options.Value.PublishTimeout}."));
        }
        finally
        {
            if (results.Any(r => r is not null))
            {
                ResetChannel();
            }

            _lock.Release();
        }

        return results;
    }

    /// <summary>Sends a message to one queue (retry and dead-letter queues) through the default exchange.</summary>
    public Task SendToQueueAsync(string queue, EventMessage message, int attempt, string? error, CancellationToken cancellationToken) =>
        SendAsync("", queue, message, attempt, error, cancellationToken);

    private async Task SendAsync(string exchange, string routingKey, EventMessage message, int attempt, string? error, CancellationToken cancellationToken)
    {
        var (activity, properties) = Prepare(message, attempt, error);
        using var _ = activity;
        await _lock.WaitAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.PublishTimeout);
        try
        {
            var channel = await ChannelAsync(timeout.Token);
            // mandatory: an event no queue is bound to is an error, not a silent drop.
            await channel.BasicPublishAsync(exchange, routingKey, mandatory: exchange.Length > 0, properties,
                Encoding.UTF8.GetBytes(message.Payload), timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            ResetChannel();
            throw new TimeoutException($"The broker did not confirm {message.Type} {message.Id} within {options.Value.PublishTimeout}.");
        }
        catch
        {
            ResetChannel();
            throw;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The publish's activity — a child of the trace that wrote the event (kept in the outbox row) — and its properties.</summary>
    private static (Activity? Activity, BasicProperties Properties) Prepare(EventMessage message, int attempt, string? error)
    {
        var activity = ActivitySource.StartActivity($"{message.Type} publish", ActivityKind.Producer,
            ActivityContext.TryParse(message.TraceParent, message.TraceState, out var parent) ? parent : default);
        var headers = new Dictionary<string, object?> { [AttemptHeader] = attempt };
        if (activity is not null)
        {
            headers["traceparent"] = activity.Id;
            if (activity.TraceStateString is { } state)
            {
                headers["tracestate"] = state;
            }
        }

        if (error is not null)
        {
            headers[ErrorHeader] = error.Length > 1000 ? error[..1000] : error;
        }

        var properties = new BasicProperties
        {
            MessageId = message.Id.ToString(),
            Type = message.Type,
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
            Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
            Headers = headers,
        };
        return (activity, properties);
    }

    private async Task<IChannel> ChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true })
        {
            return _channel;
        }

        ResetChannel();
        _channel = await (await connection.GetAsync()).CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellationToken);
        if (!_exchangeDeclared)
        {
            await EventTopology.DeclareExchangeAsync(_channel, options.Value, cancellationToken);
            _exchangeDeclared = true;
        }

        return _channel;
    }

    /// <summary>Drops the channel; it is closed in the background, because closing a broken one can hang too.</summary>
    private void ResetChannel()
    {
        if (_channel is { } channel)
        {
            _channel = null;
            _ = CloseQuietlyAsync(channel);
        }
    }

    private static async Task CloseQuietlyAsync(IChannel channel)
    {
        try
        {
            await channel.DisposeAsync();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A broken channel may fail to close; it has been replaced anyway.
        }
    }

    public ValueTask DisposeAsync()
    {
        ResetChannel();
        _lock.Dispose();
        return ValueTask.CompletedTask;
    }

    internal static int Attempt(IReadOnlyBasicProperties properties) =>
        properties.Headers?.TryGetValue(AttemptHeader, out var value) == true
            ? Convert.ToInt32(value, CultureInfo.InvariantCulture)
            : 1;
}
