using RabbitMQ.Client;

namespace Platform.Messaging;

/// <summary>
/// The broker objects. The events exchange and its "unrouted" queue for events no consumer subscribes to are the
/// operator's (the AppHost declares them; a service may not). Each consumer declares its own, idempotently: a queue bound
/// to the events it subscribes to, one retry queue per back-off step (messages wait out their TTL there, then dead-letter
/// back into the consumer's queue), a dead-letter queue, and a direct exchange of its own through which messages move
/// between them — never the default exchange, which reaches every queue. All of them are quorum queues (replicated, and
/// counting deliveries); the consumer's own queues are bounded and refuse publishes when full, and their dead-lettering is
/// at-least-once, so no message is dropped on the way.
/// </summary>
public static class EventTopology
{
    public static string RetryQueue(string consumer, int step) => $"{consumer}.retry.{step}";

    public static string DeadLetterQueue(string consumer) => $"{consumer}.dead";

    /// <summary>The consumer's own direct exchange: a message moves to one of its queues with that queue's name as routing key.</summary>
    public static string MovesExchange(string consumer) => $"{consumer}.moves";

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
                ["x-queue-type"] = "quorum",
                ["x-message-ttl"] = (int)UnroutedTimeToLive.TotalMilliseconds,
                ["x-max-length"] = UnroutedMaxLength,
            },
            cancellationToken: cancellationToken);
        await channel.QueueBindAsync(unrouted, unrouted, "", cancellationToken: cancellationToken);
        await channel.ExchangeDeclareAsync(options.Exchange, ExchangeType.Topic, durable: true, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["alternate-exchange"] = unrouted }, cancellationToken: cancellationToken);
    }

    /// <summary>Declares the consumer's queues and its moves exchange, and binds its queue to <paramref name="eventNames"/> (the events exchange must exist).</summary>
    public static async Task DeclareConsumerAsync(IChannel channel, EventBusOptions options, IEnumerable<string> eventNames, CancellationToken cancellationToken)
    {
        if (options.EachInstance)
        {
            // An instance's own queue goes with its connection (and after a minute unused, should the broker keep it).
            await channel.QueueDeclareAsync(options.Queue, durable: false, exclusive: true, autoDelete: true,
                arguments: new Dictionary<string, object?> { ["x-expires"] = 60_000, ["x-max-length"] = options.MaxQueueLength },
                cancellationToken: cancellationToken);
        }
        else
        {
            await channel.ExchangeDeclareAsync(MovesExchange(options.Consumer), ExchangeType.Direct, durable: true, autoDelete: false,
                cancellationToken: cancellationToken);
            // A message delivered DeliveryLimit times without being settled goes to the dead-letter queue.
            await DeclareQueueAsync(channel, options, options.Queue, cancellationToken, new()
            {
                ["x-delivery-limit"] = options.DeliveryLimit,
                ["x-dead-letter-routing-key"] = DeadLetterQueue(options.Consumer),
            });
        }

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
            await DeclareQueueAsync(channel, options, RetryQueue(options.Consumer, step), cancellationToken, new()
            {
                ["x-message-ttl"] = (int)options.RetryDelays[step].TotalMilliseconds,
                ["x-dead-letter-routing-key"] = options.Consumer,
            });
        }

        await DeclareQueueAsync(channel, options, DeadLetterQueue(options.Consumer), cancellationToken);
    }

    /// <summary>
    /// A durable quorum queue of at most <see cref="EventBusOptions.MaxQueueLength"/> messages that refuses publishes when
    /// full, reached through the consumer's moves exchange under its own name; with a dead-letter routing key it
    /// dead-letters at least once (through that exchange too), never dropping.
    /// </summary>
    private static async Task DeclareQueueAsync(IChannel channel, EventBusOptions options, string queue, CancellationToken cancellationToken,
        Dictionary<string, object?>? arguments = null)
    {
        arguments ??= [];
        arguments["x-queue-type"] = "quorum";
        arguments["x-max-length"] = options.MaxQueueLength;
        arguments["x-overflow"] = "reject-publish";
        if (arguments.ContainsKey("x-dead-letter-routing-key"))
        {
            arguments["x-dead-letter-exchange"] = MovesExchange(options.Consumer);
            arguments["x-dead-letter-strategy"] = "at-least-once";
        }

        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(queue, MovesExchange(options.Consumer), queue, cancellationToken: cancellationToken);
    }
}
