using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Messaging;
using global::RabbitMQ.Client;

namespace Platform.AppHost.Infrastructure.RabbitMQ;

/// <summary>
/// Least privilege in RabbitMQ: each service connects as a user named after it, which may declare, delete and consume
/// only its own queues and exchange (<c>{service}</c>, <c>{service}.…</c>), publish only the events it owns (topic
/// permissions on the events exchange) and otherwise only into its own queues (through its moves exchange; the default
/// exchange, which reaches every queue, is closed to it), and bind its queue to only the events it consumes. The events
/// exchange and its unrouted queue are the administrator's: whenever the broker is ready, the AppHost declares them and
/// creates the users (or brings their passwords and permissions in line) through the management API.
/// </summary>
public static class EventBusUsers
{
    /// <summary>
    /// Connects <paramref name="service"/> to <paramref name="eventBus"/> (connection name <c>eventbus</c>) as its own user,
    /// password parameter <c>eventbus-{service}-password</c>, once that user can connect.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithEventBusUser(this IResourceBuilder<ProjectResource> service,
        IResourceBuilder<IResourceWithConnectionString> eventBus, Type[] consumes, Type[]? publishes = null)
    {
        var registry = eventBus.Resource.Annotations.OfType<Registry>().SingleOrDefault()
            ?? throw new InvalidOperationException($"'{eventBus.Resource.Name}' has no users: add it with SharedInfrastructure.AddRabbitMQ.");
        var name = service.Resource.Name;
        var password = registry.Infrastructure.AddPassword($"{eventBus.Resource.Name}-{name}-password");
        registry.All.Add(new EventBusUser(name, password.Resource,
            [.. consumes.Select(EventMessage.NameOf)], [.. (publishes ?? []).Select(EventMessage.NameOf)]));

        var endpoint = ((IResourceWithEndpoints)eventBus.Resource).GetEndpoint("tcp");
        var host = endpoint.Property(registry.Infrastructure.Mode == InfrastructureMode.Local ? EndpointProperty.IPV4Host : EndpointProperty.Host);
        var login = service.ApplicationBuilder.AddConnectionString($"{eventBus.Resource.Name}-{name}",
            ReferenceExpression.Create($"amqp://{name}:{password.Resource:uri}@{host}:{endpoint.Property(EndpointProperty.Port)}"));
        var probe = new ProbeConnection(login.Resource, $"{login.Resource.Name}-check");
        var check = $"{login.Resource.Name}_login";
        service.ApplicationBuilder.Services.AddHealthChecks().AddRabbitMQ(_ => probe.GetAsync(CancellationToken.None), name: check);
        login.WithHealthCheck(check);
        return service.WithReference(login, eventBus.Resource.Name).WaitFor(login);
    }

    /// <summary>Keeps the users of <paramref name="eventBus"/>, and provisions the broker whenever it is ready (run mode).</summary>
    internal static IResourceBuilder<T> WithUsers<T>(this IResourceBuilder<T> eventBus, SharedInfrastructure infrastructure)
        where T : IResourceWithConnectionString, IResourceWithEndpoints
    {
        var registry = new Registry(infrastructure);
        eventBus.WithAnnotation(registry);
        eventBus.OnResourceReady(async (resource, ready, ct) =>
        {
            await ProvisionAsync(resource, registry.All, ct);
            ready.Services.GetRequiredService<ResourceLoggerService>().GetLogger(resource)
                .LogInformation("Events exchange declared; users {Users}", string.Join(", ", registry.All.Select(u => u.Name)));
        });
        return eventBus;
    }

    private static async Task ProvisionAsync(IResourceWithConnectionString eventBus, IReadOnlyList<EventBusUser> users, CancellationToken ct)
    {
        var admin = new Uri(await eventBus.ConnectionStringExpression.GetValueAsync(ct)
            ?? throw new InvalidOperationException($"'{eventBus.Name}' has no connection string."));
        var options = new EventBusOptions();
        var factory = new ConnectionFactory { Uri = admin, RequestedConnectionTimeout = TimeSpan.FromSeconds(5), AutomaticRecoveryEnabled = false };
        await using (var connection = await factory.CreateConnectionAsync($"{eventBus.Name}-provisioning", ct))
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: ct))
        {
            await EventTopology.DeclareExchangeAsync(channel, options, ct);
        }

        using var management = new HttpClient { BaseAddress = new Uri(((IResourceWithEndpoints)eventBus).GetEndpoint("management").Url) };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(admin.UserInfo))));
        foreach (var user in users)
        {
            var password = await user.Password.GetValueAsync(ct) ?? "";
            await PutAsync(management, $"api/users/{user.Name}", new { password, tags = "" }, ct);
            await PutAsync(management, $"api/permissions/%2F/{user.Name}", user.Permissions(options), ct);
            await PutAsync(management, $"api/topic-permissions/%2F/{user.Name}", user.TopicPermissions(options), ct);
        }
    }

    // The management listener may answer a moment after AMQP does.
    private static async Task PutAsync(HttpClient management, string path, object body, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                (await management.PutAsJsonAsync(path, body, ct)).EnsureSuccessStatusCode();
                return;
            }
            catch (HttpRequestException) when (attempt < 30)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    /// <summary>The users of <paramref name="eventBus"/> (none if it was not added with <see cref="WithUsers"/>).</summary>
    internal static IReadOnlyList<EventBusUser> UsersOf(IResource eventBus) =>
        eventBus.Annotations.OfType<Registry>().SingleOrDefault()?.All ?? [];

    private sealed record Registry(SharedInfrastructure Infrastructure) : IResourceAnnotation
    {
        public List<EventBusUser> All { get; } = [];
    }
}

/// <summary>A service's broker user: the events it consumes and publishes, and the permissions that follow.</summary>
internal sealed record EventBusUser(string Name, ParameterResource Password, IReadOnlyList<string> Consumes, IReadOnlyList<string> Publishes)
{
    private string Own => $"{Regex.Escape(Name)}(\\..+)?";

    /// <summary>Configure its own queues and exchange; write those and the events exchange; read those, the events exchange (to bind) and the unrouted queue (its events that waited for it).</summary>
    public object Permissions(EventBusOptions options) => new
    {
        configure = $"^{Own}$",
        write = $"^({Own}|{Regex.Escape(options.Exchange)})$",
        read = $"^({Own}|{Regex.Escape(options.Exchange)}|{Regex.Escape(EventTopology.UnroutedQueue(options))})$",
    };

    /// <summary>On the events exchange: publish the events it owns (none: a pattern nothing matches), bind to those it consumes.</summary>
    public object TopicPermissions(EventBusOptions options) => new
    {
        exchange = options.Exchange,
        write = AnyOf(Publishes),
        read = AnyOf(Consumes),
    };

    private static string AnyOf(IReadOnlyList<string> names) => names.Count == 0 ? "^$" : $"^({string.Join('|', names.Select(Regex.Escape))})$";
}

/// <summary>The resource does its work from <paramref name="Queue"/>: a deployment scales it on that queue's length.</summary>
internal sealed record QueueConsumerAnnotation(string Queue) : IResourceAnnotation;
