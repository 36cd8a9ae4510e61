using Microsoft.Extensions.DependencyInjection;

namespace Platform.AppHost.Infrastructure.Local;

/// <summary>
/// The pattern of Aspire's own integrations: the resource's connection string is captured when it
/// becomes available, and a client health check registered under <c>{name}_check</c> uses it, so
/// that WaitFor holds dependants until the server really answers.
/// </summary>
internal static class ConnectionHealthCheck
{
    /// <param name="builder">The resource.</param>
    /// <param name="register">Registers the check under the given key, reading the connection string when it runs.</param>
    public static IResourceBuilder<T> WithConnectionHealthCheck<T>(this IResourceBuilder<T> builder,
        Action<IHealthChecksBuilder, string, Func<string>> register)
        where T : IResourceWithConnectionString
    {
        string? connectionString = null;
        builder.OnConnectionStringAvailable(async (resource, _, ct) =>
            connectionString = await resource.GetConnectionStringAsync(ct)
                ?? throw new DistributedApplicationException($"'{resource.Name}' published no connection string."));

        var key = $"{builder.Resource.Name}_check";
        register(builder.ApplicationBuilder.Services.AddHealthChecks(), key,
            () => connectionString ?? throw new InvalidOperationException($"'{key}' has no connection string yet."));
        return builder.WithHealthCheck(key);
    }
}
