using RabbitMQ.Client;

namespace Platform.Messaging;

/// <summary>
/// The broker objects, declared idempotently by whoever starts first: the events exchange and its
/// "unrouted" queue for events no consumer subscribes to; per consumer a
/// durable queue bound to the events it subscribes to, one retry queue per back-off step (messages wait
/// out their TTL there, then dead-letter back into the consumer's queue), and a dead-letter queue.
/// </summary>
public static class EventTopology
{
    public static string RetryQueue(string consumer, int step) => $"{consumer}.retry.{step}";

    public static string DeadLetterQueue(string consumer) => $"{consumer}.dead";

    /// <summary>Where events wait that no queue was bound to when they were published: <c>{exchange}.unrouted</c>.</summary>
    public static string UnroutedQueue(EventBusOptions options) => $"{options.Exchange}.unrouted";

    /// <summary>How long the unrouted queue keeps an event, and how many it keeps at most (oldest dropped first).</summary>
    public static readonly TimeSpan UnroutedTimeToLive = TimeSpan.FromDays(7);
    public const int UnroutedMaxLength = 100_000;

    /// <summary>
    /// Declares the events exchange with an alternate exchange: an event nobody subscribes to (a solution without
    /// the workers, a consumer removed, one not started yet on a new broker) lands in the unrouted queue, where it
    /// can be inspected or moved, instead of failing its publisher forever or vanishing.
    /// </summary>
    public static async Task DeclareExchangeAsync(IChannel channel, EventBusOptions options, CancellationToken cancellationToken)
    {
        var unrouted = UnroutedQueue(options);
        await channel.ExchangeDeclareAsync(unrouted, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(unrouted, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?>
            {
                ["x-message-ttl"] = (int)UnroutedTimeToLive.TotalMilliseconds,
                ["x-max-length"] = UnroutedMaxLength,
            },
            cancellationToken: cancellationToken);
        await channel.QueueBindAsync(unrouted, unrouted, "", cancellationToken: cancellationToken);
        await channel.ExchangeDeclareAsync(options.Exchange, ExchangeType.Topic, durable: true, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["alternate-exchange"] = unrouted }, cancellationToken: cancellationToken);
    }

    public static async Task DeclareConsumerAsync(IChannel channel, EventBusOptions options, IEnumerable<string> eventNames, CancellationToken cancellationToken)
    {
        await DeclareExchangeAsync(channel, options, cancellationToken);
        // An instance's own queue goes with its connection (and after a minute unused, should the broker keep it).
        await channel.QueueDeclareAsync(options.Queue, durable: !options.EachInstance, exclusive: options.EachInstance, autoDelete: options.EachInstance,
            arguments: options.EachInstance ? new Dictionary<string, object?> { ["x-expires"] = 60_000 } : null, cancellationToken: cancellationToken);
        foreach (var eventName in eventNames)
        {
            await channel.QueueBindAsync(options.Queue, options.Exchange, eventName, cancellationToken: cancellationToken);
        }

        if (options.EachInstance)
        {
            return;
        }

        for (var step = 0; step < options.RetryDelays.Count; step++)
        {
            await channel.QueueDeclareAsync(RetryQueue(options.Consumer, step), durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?>
                {
                    ["x-message-ttl"] = (int)options.RetryDelays[step].TotalMilliseconds,
                    ["x-dead-letter-exchange"] = "",
                    ["x-dead-letter-routing-key"] = options.Consumer,
                },
                cancellationToken: cancellationToken);
        }

        await channel.QueueDeclareAsync(DeadLetterQueue(options.Consumer), durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellationToken);
    }
}
