using System.Text;
using Platform.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Platform.AppHost.Tests.Messaging;

/// <summary>Least privilege in RabbitMQ: each service connects as its own user, limited to its queues and its events.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class BrokerUserTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static readonly string Events = new EventBusOptions().Exchange;

    // The services that use the broker, and one event each consumes.
    private static readonly (string User, string Consumes)[] Users =
    [
        ("catalog", "StockReserved"), ("orders", "PaymentFailed"),
//#if (web)
        ("web", "OrderSettled"),
//#endif
//#if (workers)
        ("inventory", "OrderPlaced"), ("payments", "StockReserved"),
//#endif
    ];

    [Fact]
    public async Task Every_service_process_connects_to_the_broker_as_its_own_user_without_the_administrators_password()
    {
        var administrator = new Uri(await fixture.App.ConnectionStringAsync("eventbus", Cancellation));
        var administratorPassword = Uri.UnescapeDataString(administrator.UserInfo.Split(':')[1]);
        foreach (var (user, _) in Users)
        {
            await LocalProcesses.AssertConnectsAsItsOwnUserAsync(fixture.LocalApp, user, "eventbus",
                connectionString => connectionString.StartsWith($"amqp://{user}:", StringComparison.Ordinal), administratorPassword);
        }
    }

    [Fact]
    public async Task A_service_binds_to_the_events_it_consumes_and_touches_nothing_of_the_others()
    {
        foreach (var (user, consumes) in Users)
        {
            await using var connection = await ConnectAsync(user);
            var others = Users.Select(u => u.User).Where(u => u != user).ToList();

            // Its own: a queue of its own name, bound to an event it consumes.
            var own = $"{user}.probe-{Guid.NewGuid():N}";
            await using (var channel = await connection.CreateChannelAsync(cancellationToken: Cancellation))
            {
                await channel.QueueDeclareAsync(own, durable: false, exclusive: true, autoDelete: true, cancellationToken: Cancellation);
                await channel.QueueBindAsync(own, Events, consumes, cancellationToken: Cancellation);

                // Refused: listening to an event it does not consume.
                var foreign = EveryEvent.Except(ConsumedBy(user)).First();
                await AssertRefusedAsync(connection, c => c.QueueBindAsync(own, Events, foreign, cancellationToken: Cancellation));
                await channel.QueueDeleteAsync(own, cancellationToken: Cancellation);
            }

            // Refused: the events exchange and the default exchange are not its to delete or to publish to.
            await AssertRefusedAsync(connection, c => c.ExchangeDeleteAsync(Events, cancellationToken: Cancellation));
            await AssertRefusedAsync(connection, c => PublishAsync(c, "", user));
            foreach (var other in others)
            {
                // Refused: another's queues — declaring, deleting, reading, publishing into them through their exchange.
                await AssertRefusedAsync(connection, c => c.QueueDeclareAsync($"{other}.forged", durable: false, exclusive: true, autoDelete: true, cancellationToken: Cancellation));
                await AssertRefusedAsync(connection, c => c.QueueDeleteAsync(other, cancellationToken: Cancellation));
                await AssertRefusedAsync(connection, c => c.BasicGetAsync(other, autoAck: false, Cancellation));
                await AssertRefusedAsync(connection, c => PublishAsync(c, EventTopology.MovesExchange(other), other));
            }
        }
    }

    [Fact]
    public async Task A_service_may_publish_only_its_own_events()
    {
        // Who publishes what; anything else is refused (a routing key checked against the user's topic permissions).
        var owners = new Dictionary<string, string[]>
        {
            ["catalog"] = [],
            ["orders"] = ["OrderPlaced", "OrderExpired", "OrderSettled"],
//#if (web)
            ["web"] = [],
//#endif
//#if (workers)
            ["inventory"] = ["StockReserved", "StockRejected", "StockReleased"],
            ["payments"] = ["PaymentSucceeded", "PaymentFailed"],
//#endif
        };
        foreach (var (user, own) in owners)
        {
            await using var connection = await ConnectAsync(user);
            foreach (var other in EveryEvent.Except(own))
            {
                await AssertRefusedAsync(connection, c => PublishAsync(c, Events, other));
            }
        }
    }

    private static readonly string[] EveryEvent =
        ["OrderPlaced", "OrderExpired", "OrderSettled", "StockReserved", "StockRejected", "StockReleased", "PaymentSucceeded", "PaymentFailed"];

    private static string[] ConsumedBy(string user) => user switch
    {
        "catalog" => ["StockReserved", "StockReleased"],
        "orders" => ["StockRejected", "PaymentSucceeded", "PaymentFailed"],
        "web" => ["OrderSettled"],
        "inventory" => ["OrderPlaced", "PaymentFailed", "OrderExpired"],
        "payments" => ["StockReserved", "OrderExpired"],
        _ => [],
    };

    private async Task<IConnection> ConnectAsync(string user)
    {
        var factory = new ConnectionFactory { Uri = new Uri(await fixture.App.ConnectionStringAsync($"eventbus-{user}", Cancellation)) };
        return await factory.CreateConnectionAsync($"test-as-{user}", Cancellation);
    }

    private static async Task PublishAsync(IChannel channel, string exchange, string routingKey)
    {
        // Never a real event: a body no consumer could take for one, were it let through.
        await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, new BasicProperties { MessageId = "forged", Type = "Forged" },
            Encoding.UTF8.GetBytes("{}"), Cancellation);
    }

    /// <summary>The broker closes the channel with ACCESS_REFUSED (403); the connection stays.</summary>
    private static async Task AssertRefusedAsync(IConnection connection, Func<IChannel, Task> action)
    {
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), Cancellation);
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => action(channel));
        Assert.True(refused is OperationInterruptedException or AlreadyClosedException or PublishException, refused.ToString());
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (channel.CloseReason is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, Cancellation);
        }

        Assert.Equal((ushort?)Constants.AccessRefused, channel.CloseReason?.ReplyCode);
        Assert.True(connection.IsOpen);
    }
}
