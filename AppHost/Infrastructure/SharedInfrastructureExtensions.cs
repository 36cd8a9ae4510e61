namespace Platform.AppHost.Infrastructure;

/// <summary>Adds the platform's shared infrastructure to the app model.</summary>
public static class SharedInfrastructureExtensions
{
    /// <summary>Decides once how the infrastructure runs; add Postgres, Redis and RabbitMQ through the result.</summary>
    public static SharedInfrastructure AddSharedInfrastructure(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return new SharedInfrastructure(builder);
    }
}
