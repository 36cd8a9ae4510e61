using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Platform.Messaging;
using Platform.Messaging.Outbox;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wires the event bus into a service: <c>builder.AddEventBus("eventbus", "orders").AddInbox&lt;OrdersDb&gt;().AddSubscription&lt;E, H&gt;()</c>.</summary>
public static class EventBusExtensions
{
    /// <summary>
    /// The RabbitMQ connection (Aspire client integration: traces, automatic recovery) and a confirming
    /// <see cref="EventPublisher"/>. <paramref name="consumer"/> names this service's queues.
    /// </summary>
    public static EventBusBuilder AddEventBus(this IHostApplicationBuilder builder, string connectionName, string consumer)
    {
        builder.AddRabbitMQClient(connectionName, settings =>
        {
            // A broker outage delays events (the outbox keeps them) but must neither stop the host at start
            // (activation connects eagerly and throws) nor make the service unready.
            settings.DisableAutoActivation = true;
            settings.DisableHealthChecks = true;
            // Nor may the first connect sit in the client's own back-off (1, 2, 4, 8, 16 s) while the broker, started
            // alongside, comes up: it fails at once and the consumer or relay tries again within 2 s.
            settings.MaxConnectRetryCount = 0;
        });
        builder.Services.AddOptions<EventBusOptions>()
            .BindConfiguration(EventBusOptions.SectionName)
            .Configure(options => options.Consumer = consumer)
            .PostConfigure(options =>
            {
                if (options.RetryDelays.Count == 0)
                {
                    foreach (var delay in EventBusOptions.DefaultRetryDelays)
                    {
                        options.RetryDelays.Add(delay);
                    }
                }
            });
        builder.Services.AddSingleton<BrokerConnection>();
        builder.Services.AddSingleton<EventPublisher>();
        builder.Services.AddSingleton<MessagingMetrics>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        var subscriptions = new Subscriptions();
        builder.Services.AddSingleton(subscriptions);
        return new EventBusBuilder(builder, subscriptions);
    }

    /// <summary>
    /// Publishes the outbox of the database behind the keyed Npgsql data source <paramref name="connectionName"/>
    /// (as registered by <c>AddReplicatedDatabase</c>), counts what waits in it (<see cref="OutboxMonitor"/>) and deletes
    /// its published events and old inbox entries after <c>EventBus:Retention</c> (<see cref="MessageRetention"/>). Once per
    /// database: a sharded service calls it for each shard.
    /// </summary>
    public static IHostApplicationBuilder AddOutboxRelay(this IHostApplicationBuilder builder, string connectionName)
    {
        // AddSingleton, not AddHostedService: that adds one service per class, and a sharded service has a relay per shard.
        builder.Services.AddSingleton<IHostedService>(services => new OutboxRelay(
            services.GetRequiredKeyedService<NpgsqlDataSource>(connectionName),
            connectionName,
            services.GetRequiredService<EventPublisher>(),
            services.GetRequiredService<MessagingMetrics>(),
            services.GetRequiredService<Options.IOptions<EventBusOptions>>(),
            services.GetRequiredService<Logging.ILogger<OutboxRelay>>()));
        builder.Services.AddSingleton<IHostedService>(services => new OutboxMonitor(
            services.GetRequiredKeyedService<NpgsqlDataSource>(connectionName),
            connectionName,
            services.GetRequiredService<MessagingMetrics>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<Logging.ILogger<OutboxMonitor>>()));
        builder.Services.AddSingleton<IHostedService>(services => new MessageRetention(
            services.GetRequiredKeyedService<NpgsqlDataSource>(connectionName),
            services.GetRequiredService<Options.IOptions<EventBusOptions>>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<Logging.ILogger<MessageRetention>>()));
        return builder;
    }
}
