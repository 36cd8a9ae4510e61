using RabbitMQ.Client;

namespace Platform.Messaging;

/// <summary>
/// The broker objects, declared idempotently by whoever starts first: the events exchange; per consumer a
/// durable queue bound to the events it subscribes to, one retry queue per back-off step (messages wait
/// out their TTL there, then dead-letter back into the consumer's queue), and a dead-letter queue.
/// </summary>
public static class EventTopology
{
    public static string RetryQueue(string consumer, int step) => $"{consumer}.retry.{step}";

    public static string DeadLetterQueue(string consumer) => $"{consumer}.dead";

    public static Task DeclareExchangeAsync(IChannel channel, EventBusOptions options, CancellationToken cancellationToken) =>
        channel.ExchangeDeclareAsync(options.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancellationToken);

    public static async Task DeclareConsumerAsync(IChannel channel, EventBusOptions options, IEnumerable<string> eventNames, CancellationToken cancellationToken)
    {
        await DeclareExchangeAsync(channel, options, cancellationToken);
        await channel.QueueDeclareAsync(options.Consumer, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellationToken);
        foreach (var eventName in eventNames)
        {
            await channel.QueueBindAsync(options.Consumer, options.Exchange, eventName, cancellationToken: cancellationToken);
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
