using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Platform.Messaging;

/// <summary>
/// Publishes to the broker with publisher confirms: a publish returns only once the broker has taken
/// the message (persisted it for durable queues), and throws when it refuses or cannot route it.
/// </summary>
public sealed class EventPublisher(IConnection connection, IOptions<EventBusOptions> options) : IAsyncDisposable
{
    /// <summary>The header that counts deliveries of a message (1 for the first).</summary>
    public const string AttemptHeader = "x-attempt";

    /// <summary>Traces of publishing and handling events.</summary>
    public static readonly ActivitySource ActivitySource = new("Platform.Messaging");

    private readonly SemaphoreSlim _lock = new(1, 1);
    private IChannel? _channel;
    private bool _exchangeDeclared;

    /// <summary>Publishes an event to the events exchange, its type name as the routing key.</summary>
    public Task PublishAsync(EventMessage message, CancellationToken cancellationToken) =>
        SendAsync(options.Value.Exchange, message.Type, message, attempt: 1, error: null, cancellationToken);

    /// <summary>Sends a message to one queue (retry and dead-letter queues) through the default exchange.</summary>
    public Task SendToQueueAsync(string queue, EventMessage message, int attempt, string? error, CancellationToken cancellationToken) =>
        SendAsync("", queue, message, attempt, error, cancellationToken);

    private async Task SendAsync(string exchange, string routingKey, EventMessage message, int attempt, string? error, CancellationToken cancellationToken)
    {
        // The publish is a child of the trace that wrote the event (kept in the outbox row), not of the relay's loop.
        using var activity = ActivitySource.StartActivity($"{message.Type} publish", ActivityKind.Producer,
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
            headers["x-error"] = error.Length > 1000 ? error[..1000] : error;
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

        await _lock.WaitAsync(cancellationToken);
        try
        {
            var channel = await ChannelAsync(cancellationToken);
            // mandatory: an event no queue is bound to is an error, not a silent drop.
            await channel.BasicPublishAsync(exchange, routingKey, mandatory: exchange.Length > 0, properties,
                Encoding.UTF8.GetBytes(message.Payload), cancellationToken);
        }
        catch
        {
            await ResetChannelAsync();
            throw;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<IChannel> ChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true })
        {
            return _channel;
        }

        await ResetChannelAsync();
        _channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellationToken);
        if (!_exchangeDeclared)
        {
            await EventTopology.DeclareExchangeAsync(_channel, options.Value, cancellationToken);
            _exchangeDeclared = true;
        }

        return _channel;
    }

    private async Task ResetChannelAsync()
    {
        if (_channel is not null)
        {
            try
            {
                await _channel.DisposeAsync();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A broken channel may fail to close; it is being replaced anyway.
            }

            _channel = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ResetChannelAsync();
        _lock.Dispose();
    }

    internal static int Attempt(IReadOnlyBasicProperties properties) =>
        properties.Headers?.TryGetValue(AttemptHeader, out var value) == true
            ? Convert.ToInt32(value, CultureInfo.InvariantCulture)
            : 1;
}
