using RabbitMQ.Client;

namespace Platform.AppHost.Tests.Services;

/// <summary>Direct access to the platform's broker, to see and move what waits in a queue.</summary>
internal static class Queues
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>Messages waiting in a queue, not counting those a consumer holds unacknowledged.</summary>
    public static async Task<uint> ReadyMessagesAsync(DistributedApplication app, string queue)
    {
        await using var connection = await ConnectAsync(app);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Cancellation);
        return (await channel.QueueDeclarePassiveAsync(queue, Cancellation)).MessageCount;
    }

    /// <summary>The consumers a queue has now.</summary>
    public static async Task<uint> ConsumersAsync(DistributedApplication app, string queue)
    {
        await using var connection = await ConnectAsync(app);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Cancellation);
        return (await channel.QueueDeclarePassiveAsync(queue, Cancellation)).ConsumerCount;
    }

    /// <summary>
    /// Moves the first message of <paramref name="from"/> to <paramref name="to"/> as it is (what a consumer does when it
    /// gives up on one) and returns its type.
    /// </summary>
    public static async Task<string?> MoveOneAsync(DistributedApplication app, string from, string to)
    {
        await using var connection = await ConnectAsync(app);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), Cancellation);
        var message = await channel.BasicGetAsync(from, autoAck: false, Cancellation) ?? throw new InvalidOperationException($"'{from}' is empty.");
        await channel.BasicPublishAsync("", to, mandatory: true, new BasicProperties(message.BasicProperties), message.Body, Cancellation);
        await channel.BasicAckAsync(message.DeliveryTag, multiple: false, Cancellation);
        return message.BasicProperties.Type;
    }

    private static async Task<IConnection> ConnectAsync(DistributedApplication app) =>
        await new ConnectionFactory { Uri = new Uri(await app.ConnectionStringAsync("eventbus", Cancellation)) }.CreateConnectionAsync(Cancellation);
}
