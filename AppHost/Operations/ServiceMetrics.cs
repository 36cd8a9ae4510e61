namespace Platform.AppHost.Operations;

/// <summary>
/// Every service's Prometheus scrape endpoint (ServiceDefaults' <c>MetricsEndpoint</c>): an endpoint <c>metrics</c> whose
/// port the service listens on as <c>Metrics__Port</c>, linked on the dashboard. Replicas get a port each, behind the
/// endpoint's proxy, so a scrape there reaches one replica at a time; in a cluster Prometheus scrapes every pod
/// (docs/operations.md). Run mode only: the Kubernetes output gives every pod its own (<c>KubernetesOutput</c>).
/// </summary>
public static class ServiceMetrics
{
    public const string EndpointName = "metrics";

    public static IResourceBuilder<ProjectResource> WithMetricsEndpoint(this IResourceBuilder<ProjectResource> service)
    {
        if (!service.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return service;
        }

        return service.WithHttpEndpoint(name: EndpointName, env: "Metrics__Port").WithUrlForEndpoint(EndpointName, url =>
        {
            url.Url = "/metrics";
            url.DisplayText = "Prometheus metrics";
        });
    }
}
