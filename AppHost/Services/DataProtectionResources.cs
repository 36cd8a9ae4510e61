using Platform.AppHost.Infrastructure;
using Platform.AppHost.Infrastructure.Redis;

namespace Platform.AppHost.Services;

public static class DataProtectionResources
{
    /// <summary>
    /// The service keeps its Data Protection keys (cookies, form tokens) in <paramref name="redis"/>, shared by its
    /// instances and kept across restarts, each key encrypted with a certificate of the service's own
    /// (<c>{service}-data-protection-certificate</c>: generated in run mode, supplied by a deployment).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDataProtectionKeys(this IResourceBuilder<ProjectResource> service,
        SharedInfrastructure infrastructure, IResourceBuilder<IResourceWithConnectionString> redis) =>
        service.WithRedisUser(redis).WaitFor(redis)
            .WithEnvironment("DataProtection__Certificate", infrastructure.AddCertificate($"{service.Resource.Name}-data-protection-certificate"));
}
