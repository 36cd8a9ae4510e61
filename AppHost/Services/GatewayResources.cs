using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.AppHost.Infrastructure.Redis;

namespace Platform.AppHost.Services;

/// <summary>The gateway: the one public HTTP entry to the APIs and the identity provider.</summary>
public static class GatewayResources
{
    /// <summary>
    /// Adds the gateway (<c>services/Gateway</c>, YARP). Clients connect to it directly, without Aspire's proxy in front,
    /// so its rate limits see their real addresses. Settings under <c>Gateway</c> in the AppHost's configuration (say
    /// <c>--Gateway:RateLimits:PerCaller:PermitLimit=500</c>) are passed on to it.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddGateway(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        var gateway = builder.AddService<Projects.Platform_Gateway>(name).WithDirectEndpoint().WithExternalHttpEndpoints().WithAllowedHosts()
            .OnResourceReady((resource, ready, _) =>
            {
                // Next to the dashboard's login line: where people and scripts come in.
                var url = resource.GetEndpoint("http").Url;
                ready.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Platform.AppHost")
                    .LogInformation("Gateway (APIs, sign-in) at {Url}; API reference at {Url}/scalar", url, url);
                return Task.CompletedTask;
            });
        return gateway.WithSettingsFrom("Gateway");
    }

    /// <summary>
    /// Counts the sign-in budget in <paramref name="redis"/>, shared by every gateway instance, as the gateway's own Redis user;
    /// the rate limiter keeps a partition's counts under <c>rl:sw:{partition}</c>, and the gateway's partitions begin
    /// <c>gateway:</c>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithSharedRateLimits(this IResourceBuilder<ProjectResource> gateway,
        IResourceBuilder<IResourceWithConnectionString> redis) =>
        gateway.WithRedisUser(redis, $"rl:sw:{{{gateway.Resource.Name}:*").WaitFor(redis);

    /// <summary>
    /// Lets the gateway route to <paramref name="services"/>: service discovery gives it every instance of each
    /// (<c>services__catalog__http__0</c>, <c>…__1</c>), and YARP balances over them.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithRoutesTo(this IResourceBuilder<ProjectResource> gateway,
        params IResourceBuilder<ProjectResource>[] services)
    {
        foreach (var service in services)
        {
            var instances = service.Instances();
            if (!gateway.ApplicationBuilder.ExecutionContext.IsRunMode || instances.Count == 1)
            {
                gateway.WithReference(service);
                continue;
            }

            var name = service.Resource.Name;
            for (var i = 0; i < instances.Count; i++)
            {
                var endpoint = instances[i].GetEndpoint("http");
                gateway.WithEnvironment($"services__{name}__http__{i}", endpoint)
                    .WithReferenceRelationship(instances[i]);
            }
        }

        return gateway;
    }
}
