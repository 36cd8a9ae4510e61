namespace Platform.AppHost.Infrastructure.RabbitMQ;

/// <summary>Adds the platform's RabbitMQ in the infrastructure's mode.</summary>
public static class RabbitMQInfrastructure
{
    /// <summary>
    /// Adds a password-protected RabbitMQ broker named <paramref name="name"/> (password parameter
    /// <c>{name}-password</c>, the administrator's) with the management UI and its own Prometheus metrics
    /// (<see cref="BrokerMetrics"/>), keeping its data across restarts; services connect as users of their own
    /// (<see cref="EventBusUsers.WithEventBusUser"/>).
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddRabbitMQ(this SharedInfrastructure infrastructure, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(infrastructure);
        var password = infrastructure.AddPassword($"{name}-password");

        if (infrastructure.Mode == InfrastructureMode.Containers)
        {
            return infrastructure.Builder.AddRabbitMQ(name, password: password)
                .WithManagementPlugin()
                .WithBrokerMetrics()
                .WithDataVolume(infrastructure.DataVolumeName(name))
                .WithUsers(infrastructure);
        }

        return OperatingSystem.IsWindows()
            ? throw SharedInfrastructure.LocalModeUnsupported()
            : infrastructure.Builder.AddLocalRabbitMQ(name, password, Path.Combine(infrastructure.StateDirectory, name))
                .WithScrapeUrl().WithUsers(infrastructure);
    }
}
