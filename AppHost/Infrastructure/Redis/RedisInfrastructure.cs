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
                    // Shell words (the container runs the command line through sh, which expands the variables): a
                    // published manifest has it as one string, a run as one argument per word.
                    var words = RedisUsers.Of(redis.Resource).SelectMany(user =>
                        new[] { "--user", user.Name }.Concat(user.Rules($">${PasswordVariable(user)}").Split(' ').Select(rule => $"\"{rule}\""))).ToList();
                    var index = context.Args.Select((a, i) => a is string word && word.StartsWith("redis-server", StringComparison.Ordinal) ? i : -1)
                        .FirstOrDefault(i => i >= 0, -1);
                    if (index < 0)
                    {
                        throw new InvalidOperationException("The Redis container's command line has changed: no 'redis-server' to add the users to in "
                            + string.Join(" | ", context.Args));
                    }

                    if (context.Args[index] is string command && command.Contains(' ', StringComparison.Ordinal))
                    {
                        context.Args[index] = $"{command} {string.Join(' ', words)}";
                    }
                    else
                    {
                        foreach (var word in words)
                        {
                            context.Args.Add(word);
                        }
                    }
                });
        }

        return OperatingSystem.IsWindows()
            ? throw SharedInfrastructure.LocalModeUnsupported()
            : infrastructure.Builder.AddLocalRedis(name, password, Path.Combine(infrastructure.StateDirectory, name)).WithUsers(infrastructure);
    }

    private static string PasswordVariable(RedisUser user) => $"REDIS_{user.Name.ToUpperInvariant().Replace('-', '_')}_PASSWORD";
}
