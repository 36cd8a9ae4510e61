using Microsoft.Extensions.DependencyInjection;
using Platform.AppHost.Infrastructure.Local;

namespace Platform.AppHost.Infrastructure.Redis;

/// <summary>Adds a Redis server that runs from the machine's own binary.</summary>
[UnsupportedOn("windows")]
public static class LocalRedisBuilderExtensions
{
    /// <summary>Adds a local Redis server whose configuration and data live in <paramref name="dataDirectory"/>.</summary>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, IResourceBuilder<ParameterResource> password, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(password);

        var redisServer = LocalBinary.Find("redis-server", "redis-server", ["/usr/bin/redis-server"]);
        var redis = new LocalRedisResource(name, redisServer, dataDirectory, password.Resource);
        var configFile = Path.Combine(dataDirectory, "redis.conf");

        return builder.AddResource(redis)
            .WithEndpoint(name: LocalRedisResource.PrimaryEndpointName, scheme: "tcp", isProxied: false)
            .WithArgs(context =>
            {
                // The password stays in a 0600 file rather than on a command line that ps shows.
                context.Args.Add(configFile);
                context.Args.Add("--port");
                context.Args.Add(redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .OnBeforeResourceStarted(async (resource, _, ct) =>
            {
                var users = new List<string>();
                foreach (var user in RedisUsers.Of(resource))
                {
                    users.Add($"user {user.Name} {await user.RulesAsync(ct)}");
                }

                await PrivateFile.WriteAsync(configFile, $"""
                    bind 127.0.0.1
                    protected-mode yes
                    daemonize no
                    dir "{dataDirectory.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}"
                    appendonly yes
                    save 60 1
                    requirepass {await resource.PasswordParameter.GetValueAsync(ct)}
                    {string.Join('\n', users)}
                    """, ct);
            })
            .WithConnectionHealthCheck((checks, key, connectionString) => checks.AddRedis(_ => connectionString(), name: key))
            .WithIconName("Memory");
    }
}
