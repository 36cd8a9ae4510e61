using System.Text;
using RabbitMQ.Client;
using Platform.Messaging;

namespace Platform.AppHost.Tests.Services;

/// <summary>
/// On the running platform: an <c>OrderPlaced</c> nobody can read ends in <c>inventory.dead</c> with its error, and orders
/// placed after it are served. (The retry path — N attempts with back-off, then the dead-letter queue — is the
/// building block's test, with short delays: <c>EventBusTests</c>.)
/// </summary>
[Collection(SharedAppCollection.Name)]
public sealed class PoisonMessageTests(SharedAppFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_unreadable_event_is_dead_lettered_with_its_error_and_orders_keep_flowing()
    {
        var factory = new ConnectionFactory { Uri = new Uri(await fixture.App.ConnectionStringAsync("eventbus", Cancellation)) };
        await using var connection = await factory.CreateConnectionAsync(Cancellation);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Cancellation);
        var poisonId = Guid.NewGuid().ToString();
        await channel.BasicPublishAsync("platform.events", "OrderPlaced", mandatory: true,
            new BasicProperties { MessageId = poisonId, Type = "OrderPlaced", DeliveryMode = DeliveryModes.Persistent },
            Encoding.UTF8.GetBytes("{\"orderId\": \"not a guid\""), Cancellation);

        var flow = new OrderFlow(fixture);
        var productId = await flow.CreateProductAsync(price: 1m, stock: 3);
        Assert.Equal("confirmed", (await flow.PlaceAndSettleAsync(productId, quantity: 1)).Status);

        var dead = await DeadLetterAsync(channel, "inventory", poisonId);
        Assert.Equal("OrderPlaced", dead.BasicProperties.Type);
        Assert.StartsWith("JsonException", Encoding.UTF8.GetString((byte[])dead.BasicProperties.Headers![EventPublisher.ErrorHeader]!), StringComparison.Ordinal);
    }

    /// <summary>Takes the message with this id from the consumer's dead-letter queue; others there go back.</summary>
    private static async Task<BasicGetResult> DeadLetterAsync(IChannel channel, string consumer, string messageId)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var others = new List<ulong>();
            try
            {
                while (await channel.BasicGetAsync(EventTopology.DeadLetterQueue(consumer), autoAck: false, Cancellation) is { } message)
                {
                    if (message.BasicProperties.MessageId == messageId)
                    {
                        await channel.BasicAckAsync(message.DeliveryTag, multiple: false, Cancellation);
                        return message;
                    }

                    others.Add(message.DeliveryTag);
                }
            }
            finally
            {
                foreach (var tag in others)
                {
                    await channel.BasicNackAsync(tag, multiple: false, requeue: true, CancellationToken.None);
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"{messageId} did not reach {EventTopology.DeadLetterQueue(consumer)}.");
            await Task.Delay(100, Cancellation);
        }
    }
}
