using Microsoft.Extensions.DependencyInjection;

namespace Platform.AppHost.Infrastructure.Postgres;

/// <summary>Health checks that open a real connection, so WaitFor holds dependants until Postgres answers.</summary>
internal static class NpgsqlHealthCheck
{
    /// <param name="builder">The server or database resource.</param>
    /// <param name="extra">Connection-string settings to add (e.g. the database of a server-level string).</param>
    public static IResourceBuilder<T> WithNpgsqlHealthCheck<T>(this IResourceBuilder<T> builder, string? extra = null)
        where T : IResourceWithConnectionString
    {
        string? connectionString = null;
        builder.OnConnectionStringAvailable(async (resource, _, ct) =>
        {
            var value = await resource.GetConnectionStringAsync(ct)
                ?? throw new DistributedApplicationException($"'{resource.Name}' published no connection string.");
            // No pooling: an idle pooled connection held by the AppHost would delay a clean shutdown.
            connectionString = $"{value};{extra};Pooling=false;Timeout=5";
        });

        var key = $"{builder.Resource.Name}_check";
        builder.ApplicationBuilder.Services.AddHealthChecks().AddNpgSql(
            _ => connectionString ?? throw new InvalidOperationException($"'{key}' has no connection string yet."),
            name: key);
        return builder.WithHealthCheck(key);
    }
}
