using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.AppHost.Infrastructure.RabbitMQ;
using Platform.AppHost.Operations;
using Platform.Messaging;

namespace Platform.AppHost.Services;

/// <summary>How a background worker joins the app model: no HTTP API (only its metrics), so it is healthy when it consumes its queue.</summary>
public static class WorkerResources
{
    /// <summary>A background worker (Worker SDK), run as its build output.</summary>
    public static IResourceBuilder<ProjectResource> AddWorker<TProject>(this IDistributedApplicationBuilder builder, [ResourceName] string name)
        where TProject : IProjectMetadata, new() =>
        builder.AddBuiltProject<TProject>(name)
            .WithMetricsEndpoint()
            .WithAnnotation(new ServiceResources.SameProject(stepName => builder.AddBuiltProject<TProject>(stepName, excludeLaunchProfile: true)));

    /// <summary>
    /// Connects the worker to the event bus as its own user (<see cref="EventBusUsers.WithEventBusUser"/>), consuming the
    /// queue named after it: the worker is healthy while the broker counts a consumer on that queue for every replica.
    /// Its dead letters can be redriven with a command.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithEventBusConsumer(this IResourceBuilder<ProjectResource> worker,
        IResourceBuilder<IResourceWithConnectionString> eventBus, Type[] consumes, Type[] publishes)
    {
        var consumer = worker.Resource.Name;
        var probe = new ProbeConnection(eventBus.Resource, $"{worker.Resource.Name}-health");
        var healthCheckKey = $"{worker.Resource.Name}_consumers";
        worker.ApplicationBuilder.Services.AddHealthChecks().Add(new(healthCheckKey,
            _ => new QueueConsumersHealthCheck(probe, consumer, worker.Resource), failureStatus: null, tags: null));
        return worker.WithEventBusUser(eventBus, consumes, publishes).WithHealthCheck(healthCheckKey).WithDeadLetterRedrive(eventBus, consumer)
            .WithAnnotation(new QueueConsumerAnnotation(new EventBusOptions { Consumer = consumer }.Queue));
    }

    private sealed class QueueConsumersHealthCheck(ProbeConnection probe, string queue, IResource worker) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var replicas = worker.Annotations.OfType<ReplicaAnnotation>().LastOrDefault()?.Replicas ?? 1;
            try
            {
                await using var channel = await (await probe.GetAsync(cancellationToken)).CreateChannelAsync(cancellationToken: cancellationToken);
                var consumers = (await channel.QueueDeclarePassiveAsync(queue, cancellationToken)).ConsumerCount;
                return consumers >= replicas
                    ? HealthCheckResult.Healthy($"{consumers} consumers on '{queue}'")
                    : HealthCheckResult.Unhealthy($"{consumers} of {replicas} consumers on '{queue}'");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy($"Queue '{queue}' cannot be checked: {e.Message}");
            }
        }
    }
}
