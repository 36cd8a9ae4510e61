namespace Platform.AppHost.Infrastructure.Redis;

/// <summary>Adds the platform's Redis in the infrastructure's mode.</summary>
public static class RedisInfrastructure
{
    /// <summary>
    /// Adds a password-protected Redis named <paramref name="name"/> (password parameter
    /// <c>{name}-password</c>) that keeps its data across restarts; services connect to it as users of their own
    /// (<see cref="RedisUsers.WithRedisUser"/>).
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddRedis(this SharedInfrastructure infrastructure, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(infrastructure);
        var password = infrastructure.AddPassword($"{name}-password");

        if (infrastructure.Mode == InfrastructureMode.Containers)
        {
            var redis = infrastructure.Builder.AddRedis(name, password: password)
                .WithDataVolume(infrastructure.DataVolumeName(name))
                .WithPersistence()
                .WithUsers(infrastructure);
            // The users on the server's command line, each password from a variable of its own (not in the arguments).
            return redis.WithEnvironment(context =>
                {
                    foreach (var user in RedisUsers.Of(redis.Resource))
                    {
                        context.EnvironmentVariables[PasswordVariable(user)] = user.Password;
                    }
                })
                .WithArgs(context =>
                {
                    var command = context.Args.OfType<string>().LastOrDefault(a => a.StartsWith("redis-server ", StringComparison.Ordinal))
                        ?? throw new InvalidOperationException("The Redis container's command line has changed: no 'redis-server' to add the users to.");
                    var users = RedisUsers.Of(redis.Resource).Select(user =>
                        $" --user {user.Name} " + string.Join(' ', user.Rules($">${PasswordVariable(user)}").Split(' ').Select(rule => $"\"{rule}\"")));
                    context.Args[context.Args.IndexOf(command)] = command + string.Concat(users);
                });
        }

        return OperatingSystem.IsWindows()
            ? throw SharedInfrastructure.LocalModeUnsupported()
            : infrastructure.Builder.AddLocalRedis(name, password, Path.Combine(infrastructure.StateDirectory, name)).WithUsers(infrastructure);
    }

    private static string PasswordVariable(RedisUser user) => $"REDIS_{user.Name.ToUpperInvariant().Replace('-', '_')}_PASSWORD";
}
