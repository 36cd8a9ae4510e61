using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
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

    /// <summary>The header that carries when a message's handling first failed (Unix milliseconds), once it has.</summary>
    public const string FirstFailureHeader = "x-first-failure";

    /// <summary>Traces of publishing and handling events.</summary>
    public static readonly ActivitySource ActivitySource = new("Platform.Messaging");

    private readonly SemaphoreSlim _lock = new(1, 1);
    private IChannel? _channel;

    /// <summary>Publishes an event to the events exchange, its type name as the routing key.</summary>
    public Task PublishAsync(EventMessage message, CancellationToken cancellationToken) =>
        SendAsync(new Outgoing(options.Value.Exchange, message.Type, message, Attempt: 1, Error: null), cancellationToken);

    /// <summary>
    /// Publishes the messages in this order, then waits for all their confirms (within one
    /// <see cref="EventBusOptions.PublishTimeout"/>). Returns, per message, null when the broker confirmed it, or why not.
    /// </summary>
    public Task<Exception?[]> PublishAllAsync(IReadOnlyList<EventMessage> messages, CancellationToken cancellationToken) =>
        SendAllAsync([.. messages.Select(m => new Outgoing(options.Value.Exchange, m.Type, m, Attempt: 1, Error: null))], cancellationToken);

    /// <summary>Moves a failed message to one of this consumer's queues (its retry and dead-letter queues) through its moves exchange.</summary>
    public Task MoveAsync(string queue, EventMessage message, int attempt, string error, DateTimeOffset firstFailure, CancellationToken cancellationToken) =>
        SendAsync(new Outgoing(EventTopology.MovesExchange(options.Value.Consumer), queue, message, attempt, error, firstFailure), cancellationToken);

    /// <summary>Moves messages, as first attempts, to one of this consumer's queues; returns, per message, null once confirmed, or why not.</summary>
    public Task<Exception?[]> MoveAllAsync(string queue, IReadOnlyList<EventMessage> messages, CancellationToken cancellationToken) =>
        SendAllAsync([.. messages.Select(m => new Outgoing(EventTopology.MovesExchange(options.Value.Consumer), queue, m, Attempt: 1, Error: null))],
            cancellationToken);

    private async Task SendAsync(Outgoing message, CancellationToken cancellationToken)
    {
        if ((await SendAllAsync([message], cancellationToken))[0] is { } error)
        {
            ExceptionDispatchInfo.Throw(error);
        }
    }

    private async Task<Exception?[]> SendAllAsync(IReadOnlyList<Outgoing> messages, CancellationToken cancellationToken)
    {
        var results = new Exception?[messages.Count];
        var activities = new List<Activity?>(messages.Count);
        await _lock.WaitAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.PublishTimeout);
        try
        {
            var channel = await ChannelAsync(timeout.Token);
            var confirms = new List<Task>(messages.Count);
            foreach (var (exchange, routingKey, message, attempt, error, firstFailure) in messages)
            {
                var (activity, properties) = Prepare(message, attempt, error, firstFailure);
                activities.Add(activity);
                // Started one after the other on one channel: the broker receives them in this order.
                // mandatory: the exchange's alternate exchange takes events no consumer is bound to; were it
                // missing — or the retry or dead-letter queue a message is sent to — the broker returns the message
                // and the publish fails rather than dropping it.
                confirms.Add(channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties,
                    Encoding.UTF8.GetBytes(message.Payload), timeout.Token).AsTask());
            }

            for (var i = 0; i < confirms.Count; i++)
            {
                try
                {
                    await confirms[i];
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    results[i] = new TimeoutException(
                        $"The broker did not confirm {messages[i].Message.Type} {messages[i].Message.Id} within {options.Value.PublishTimeout}.");
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    results[i] = e;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            results.AsSpan().Fill(new TimeoutException($"No channel to the broker within {options.Value.PublishTimeout}."));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            results.AsSpan().Fill(e); // no channel: the broker is away
        }
        finally
        {
            activities.ForEach(a => a?.Dispose());
            if (results.Any(r => r is not null))
            {
                ResetChannel();
            }

            _lock.Release();
        }

        return results;
    }

    private sealed record Outgoing(string Exchange, string RoutingKey, EventMessage Message, int Attempt, string? Error, DateTimeOffset? FirstFailure = null);

    /// <summary>The publish's activity — a child of the trace that wrote the event (kept in the outbox row) — and its properties.</summary>
    private static (Activity? Activity, BasicProperties Properties) Prepare(EventMessage message, int attempt, string? error, DateTimeOffset? firstFailure)
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

        if (firstFailure is { } failed)
        {
            headers[FirstFailureHeader] = failed.ToUnixTimeMilliseconds();
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

    /// <summary>
    /// Which delivery attempt this is: 1 without the header; <see langword="null"/> when the header is there but not a
    /// positive number (another client's, or damaged), which the consumer dead-letters instead of failing on it.
    /// </summary>
    internal static int? Attempt(IReadOnlyBasicProperties properties)
    {
        if (properties.Headers?.TryGetValue(AttemptHeader, out var value) != true)
        {
            return 1;
        }

        var attempt = value switch
        {
            int number => number,
            long number when number <= int.MaxValue => (int)number,
            byte[] text when int.TryParse(Encoding.UTF8.GetString(text), NumberStyles.None, CultureInfo.InvariantCulture, out var number) => number,
            _ => 0,
        };
        return attempt >= 1 ? attempt : null;
    }

    /// <summary>When the message's handling first failed, from its header; null before any failure (or another client's header).</summary>
    internal static DateTimeOffset? FirstFailure(IReadOnlyBasicProperties properties) =>
        properties.Headers?.TryGetValue(FirstFailureHeader, out var value) == true && value is long milliseconds
            && milliseconds is > 0 and < 253_402_300_800_000 // up to year 9999
            ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds)
            : null;
}
