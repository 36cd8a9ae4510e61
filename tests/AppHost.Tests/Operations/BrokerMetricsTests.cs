using System.Text;
using Platform.Messaging;
using RabbitMQ.Client;

namespace Platform.AppHost.Tests.Operations;

/// <summary>
/// The broker's queues as metrics (its own Prometheus endpoint), and the alert rules evaluated by a real Prometheus
/// against it: the series the rules read are the ones the broker really exports.
/// </summary>
[Collection(SharedAppCollection.Name)]
public sealed class BrokerMetricsTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private Uri MetricsEndpoint => fixture.App.GetEndpoint("eventbus", "metrics");

    [Fact]
    public async Task The_broker_exports_every_series_the_alert_rules_read()
    {
        using var http = new HttpClient();
        var scrape = await http.GetStringAsync(new Uri(MetricsEndpoint, "/metrics/per-object"), Cancellation);
        var exported = scrape.Split('\n').Where(line => line.Length > 0 && line[0] != '#')
            .Select(line => line.Split('{', ' ')[0]).ToHashSet();

        var read = AlertRules.MetricNames("rabbitmq_");
        Assert.NotEmpty(read);
        Assert.Empty(read.Except(exported));
        // One series per queue, the unrouted queue included.
        Assert.Contains($"rabbitmq_queue_messages{{vhost=\"/\",queue=\"{EventTopology.UnroutedQueue(new EventBusOptions())}\"}}", scrape, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dead_letter_fires_its_alert_in_prometheus_until_its_queue_is_empty_again()
    {
        await using var prometheus = await PrometheusServer.StartAsync(
            [("rabbitmq", MetricsEndpoint, "/metrics/per-object")], AlertRules.WithoutPendingTime());

        // A consumer's queues as the event bus declares them; a message it rejects is dead-lettered by the broker.
        var consumer = $"alertprobe{Guid.NewGuid():N}";
        var options = new EventBusOptions { Consumer = consumer };
        var factory = new ConnectionFactory { Uri = new Uri(await fixture.App.ConnectionStringAsync("eventbus", Cancellation)) };
        await using var connection = await factory.CreateConnectionAsync(Cancellation);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Cancellation);
        try
        {
            await EventTopology.DeclareConsumerAsync(channel, options, [], Cancellation);
            await channel.BasicPublishAsync(EventTopology.MovesExchange(consumer), options.Queue, Encoding.UTF8.GetBytes("{}"), Cancellation);
            var message = await Eventually.ReachesAsync(() => channel.BasicGetAsync(options.Queue, autoAck: false, Cancellation),
                m => m is not null, _ => "The message did not arrive.", TimeSpan.FromSeconds(10));
            await channel.BasicRejectAsync(message!.DeliveryTag, requeue: false, Cancellation);

            var dead = EventTopology.DeadLetterQueue(consumer);
            await Eventually.ReachesAsync(prometheus.FiringAlertsAsync,
                alerts => alerts.Any(a => a["alertname"] == "DeadLettersWaiting" && a["queue"] == dead),
                alerts => $"DeadLettersWaiting did not fire for {dead}; firing: {Describe(alerts)}", TimeSpan.FromSeconds(30));

            await channel.QueuePurgeAsync(dead, Cancellation);
            await Eventually.ReachesAsync(prometheus.FiringAlertsAsync,
                alerts => !alerts.Any(a => a["alertname"] == "DeadLettersWaiting" && a["queue"] == dead),
                alerts => $"DeadLettersWaiting still fires for {dead}: {Describe(alerts)}", TimeSpan.FromSeconds(30));
        }
        finally
        {
            foreach (var queue in new[] { options.Queue, EventTopology.DeadLetterQueue(consumer) }.Concat(options.RetryDelays.Select((_, step) => EventTopology.RetryQueue(consumer, step))))
            {
                await channel.QueueDeleteAsync(queue, cancellationToken: CancellationToken.None);
            }

            await channel.ExchangeDeleteAsync(EventTopology.MovesExchange(consumer), cancellationToken: CancellationToken.None);
        }
    }

    private static string Describe(IReadOnlyList<IReadOnlyDictionary<string, string>> alerts) =>
        string.Join("; ", alerts.Select(a => string.Join(',', a.Select(l => $"{l.Key}={l.Value}"))));
}
