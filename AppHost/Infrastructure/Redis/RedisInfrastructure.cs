namespace Platform.AppHost.Infrastructure.Redis;

/// <summary>Adds the platform's Redis in the infrastructure's mode.</summary>
public static class RedisInfrastructure
{
    /// <summary>
    /// Adds a password-protected Redis named <paramref name="name"/> (password parameter
    /// <c>{name}-password</c>) that keeps its data across restarts.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddRedis(this SharedInfrastructure infrastructure, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(infrastructure);
        var password = infrastructure.AddPassword($"{name}-password");

        if (infrastructure.Mode == InfrastructureMode.Containers)
        {
            return infrastructure.Builder.AddRedis(name, password: password)
                .WithDataVolume(infrastructure.DataVolumeName(name))
                .WithPersistence();
        }

        return OperatingSystem.IsWindows()
            ? throw SharedInfrastructure.LocalModeUnsupported()
            : infrastructure.Builder.AddLocalRedis(name, password, Path.Combine(infrastructure.StateDirectory, name));
    }
}
