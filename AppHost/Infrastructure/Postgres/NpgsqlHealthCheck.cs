using Microsoft.Extensions.DependencyInjection;
using Platform.AppHost.Infrastructure.Local;

namespace Platform.AppHost.Infrastructure.Postgres;

/// <summary>Health checks that open a real connection, so WaitFor holds dependants until Postgres answers.</summary>
internal static class NpgsqlHealthCheck
{
    /// <param name="builder">The server or database resource.</param>
    /// <param name="extra">Connection-string settings to add (e.g. the database of a server-level string).</param>
    public static IResourceBuilder<T> WithNpgsqlHealthCheck<T>(this IResourceBuilder<T> builder, string? extra = null)
        where T : IResourceWithConnectionString =>
        // No pooling: an idle pooled connection held by the AppHost would delay a clean shutdown.
        builder.WithConnectionHealthCheck((checks, key, connectionString) =>
            checks.AddNpgSql(_ => $"{connectionString()};{extra};Pooling=false;Timeout=5", name: key));
}
