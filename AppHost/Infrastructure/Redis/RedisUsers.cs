using System.Security.Cryptography;
using System.Text;

namespace Platform.AppHost.Infrastructure.Redis;

/// <summary>
/// Least privilege in Redis: each service connects as an ACL user of its own, named after it, which reaches only its
/// keys and channels (<c>{service}:*</c>) and may run no dangerous command (<c>FLUSHALL</c>, <c>FLUSHDB</c>,
/// <c>CONFIG</c>, <c>KEYS</c>, <c>DEBUG</c>, <c>SHUTDOWN</c>, <c>ACL</c>…). The users are part of the server's
/// configuration, there from its first command; the default user (<c>redis-password</c>) is the operator's.
/// </summary>
public static class RedisUsers
{
    /// <summary>
    /// Connects <paramref name="service"/> to <paramref name="redis"/> (connection name <c>redis</c>) as its own user, whose
    /// password is the parameter <c>redis-{service}-password</c>. <paramref name="keys"/> are the key patterns it may
    /// reach, <c>{service}:*</c> unless given.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithRedisUser(this IResourceBuilder<ProjectResource> service,
        IResourceBuilder<IResourceWithConnectionString> redis, params string[] keys)
    {
        var users = redis.Resource.Annotations.OfType<Registry>().SingleOrDefault()
            ?? throw new InvalidOperationException($"'{redis.Resource.Name}' has no users: add it with SharedInfrastructure.AddRedis.");
        var name = service.Resource.Name;
        var password = users.Infrastructure.AddPassword($"{redis.Resource.Name}-{name}-password");
        var user = new RedisUser(name, password.Resource, keys is [] ? [$"{name}:*"] : keys);
        users.All.Add(user);

        var endpoint = ((IResourceWithEndpoints)redis.Resource).GetEndpoint("tcp");
        var host = endpoint.Property(users.Infrastructure.Mode == InfrastructureMode.Local ? EndpointProperty.IPV4Host : EndpointProperty.Host);
        // No configuration channel or tie-breaker key: the client would subscribe to and read names outside the user's own.
        var login = service.ApplicationBuilder.AddConnectionString($"{redis.Resource.Name}-{name}", ReferenceExpression.Create(
            $"{host}:{endpoint.Property(EndpointProperty.Port)},user={name},password={password.Resource},configChannel=,tiebreaker="));
        return service.WithReference(login, redis.Resource.Name);
    }

    /// <summary>The users given to services so far, for the server's configuration.</summary>
    internal static IReadOnlyList<RedisUser> Of(IResource redis) => redis.Annotations.OfType<Registry>().SingleOrDefault()?.All ?? [];

    internal static IResourceBuilder<T> WithUsers<T>(this IResourceBuilder<T> redis, SharedInfrastructure infrastructure) where T : IResource =>
        redis.WithAnnotation(new Registry(infrastructure));

    private sealed record Registry(SharedInfrastructure Infrastructure) : IResourceAnnotation
    {
        public List<RedisUser> All { get; } = [];
    }
}

/// <summary>A service's Redis user: its keys and channels, every command but the dangerous ones (and <c>INFO</c>, which clients read on connecting).</summary>
internal sealed record RedisUser(string Name, ParameterResource Password, IReadOnlyList<string> Keys)
{
    /// <summary>The ACL rules, with the password as its SHA-256 (<c>#…</c>) or as given (<c>&gt;…</c>, e.g. a shell variable).</summary>
    public string Rules(string passwordRule) =>
        $"reset on {passwordRule} {string.Join(' ', Keys.Select(k => $"~{k}"))} &{Name}:* +@all -@dangerous +info";

    public async Task<string> RulesAsync(CancellationToken ct) =>
        Rules("#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(await Password.GetValueAsync(ct) ?? ""))));
}
