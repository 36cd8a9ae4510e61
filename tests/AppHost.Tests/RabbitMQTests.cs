using System.Net;
using System.Net.Http.Headers;
using System.Text;
using RabbitMQ.Client;

namespace Platform.AppHost.Tests;

[Collection(SharedAppCollection.Name)]
public sealed class RabbitMQTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RabbitMQ_publishes_and_consumes_a_message_with_the_generated_credentials()
    {
        var factory = new ConnectionFactory { Uri = new Uri(await fixture.App.ConnectionStringAsync("eventbus", Cancellation)) };
        await using var connection = await factory.CreateConnectionAsync(Cancellation);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), Cancellation);
        var queue = (await channel.QueueDeclareAsync($"probe-{Guid.NewGuid():N}", durable: false, exclusive: true, autoDelete: true, cancellationToken: Cancellation)).QueueName;
        var body = Encoding.UTF8.GetBytes($"hello {Guid.NewGuid()}");

        await channel.BasicPublishAsync("", queue, body, Cancellation);
        BasicGetResult? received = null;
        for (var attempt = 0; attempt < 100 && received is null; attempt++)
        {
            received = await channel.BasicGetAsync(queue, autoAck: true, Cancellation);
            if (received is null)
            {
                await Task.Delay(20, Cancellation);
            }
        }

        Assert.NotNull(received);
        Assert.Equal(body, received.Body.ToArray());
    }

    [Fact]
    public async Task The_management_UI_answers_the_generated_credentials_only()
    {
        var broker = new Uri(await fixture.App.ConnectionStringAsync("eventbus", Cancellation));
        var management = fixture.App.GetEndpoint("eventbus", "management");
        using var client = new HttpClient { BaseAddress = management };
        var password = Uri.UnescapeDataString(broker.UserInfo.Split(':')[1]);

        using var withPassword = new HttpRequestMessage(HttpMethod.Get, "/api/overview") { Headers = { Authorization = Basic("guest", password) } };
        using var withWrongPassword = new HttpRequestMessage(HttpMethod.Get, "/api/overview") { Headers = { Authorization = Basic("guest", "not-the-password") } };

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(withPassword, Cancellation)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(withWrongPassword, Cancellation)).StatusCode);
    }

    [Fact]
    public async Task RabbitMQ_refuses_a_wrong_password()
    {
        var uri = new UriBuilder(await fixture.App.ConnectionStringAsync("eventbus", Cancellation)) { Password = "not-the-password" }.Uri;
        var factory = new ConnectionFactory { Uri = uri };

        await Assert.ThrowsAnyAsync<RabbitMQ.Client.Exceptions.BrokerUnreachableException>(() => factory.CreateConnectionAsync(Cancellation));
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
}
