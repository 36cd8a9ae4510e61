namespace Platform.AppHost.Infrastructure.RabbitMQ;

/// <summary>
/// The broker's own Prometheus endpoint (RabbitMQ's <c>rabbitmq_prometheus</c> plugin): depth, consumers and
/// dead letters of every queue, the unrouted queue and the memory and disk alarms, measured in one place — the broker —
/// rather than sampled by every service. <see cref="ScrapePath"/> labels each queue's series with its name; the alert
/// rules in <c>ops/prometheus</c> are written against it.
/// </summary>
public static class BrokerMetrics
{
    public const string EndpointName = "metrics";
    public const string Plugin = "rabbitmq_prometheus";
    public const string ScrapePath = "/metrics/per-object";

    private const int ContainerPort = 15692;
    private const string PluginsDirectory = "/etc/rabbitmq-enabled-plugins";

    /// <summary>
    /// Turns the plugin on in a broker container, whatever its image enables, and publishes its port. (A local node gets
    /// it with its configuration.)
    /// </summary>
    public static IResourceBuilder<RabbitMQServerResource> WithBrokerMetrics(this IResourceBuilder<RabbitMQServerResource> broker)
    {
        ArgumentNullException.ThrowIfNull(broker);
        if (broker.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            broker
                .WithContainerFiles(PluginsDirectory, [new ContainerFile { Name = "enabled_plugins", Contents = $"[rabbitmq_management,{Plugin}].\n" }])
                .WithEnvironment("RABBITMQ_ENABLED_PLUGINS_FILE", $"{PluginsDirectory}/enabled_plugins");
        }

        return broker.WithHttpEndpoint(targetPort: ContainerPort, name: EndpointName).WithScrapeUrl();
    }

    /// <summary>The dashboard links the endpoint at its per-queue page.</summary>
    internal static IResourceBuilder<T> WithScrapeUrl<T>(this IResourceBuilder<T> broker) where T : IResourceWithEndpoints =>
        broker.WithUrlForEndpoint(EndpointName, url =>
        {
            url.Url = ScrapePath;
            url.DisplayText = "Prometheus metrics";
        });
}
