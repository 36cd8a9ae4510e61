using Microsoft.Extensions.Configuration;
using Platform.AppHost.Infrastructure.Postgres;
using Platform.AppHost.Operations;

namespace Platform.AppHost.Services;

/// <summary>How a platform service joins the app model: its build output, probes, instances, its database and its migration step.</summary>
public static class ServiceResources
{
    /// <summary>A .NET service, run as its build output (<see cref="BuiltProject"/>): ready when its <c>/health</c> answers.</summary>
    public static IResourceBuilder<ProjectResource> AddService<TProject>(this IDistributedApplicationBuilder builder, [ResourceName] string name)
        where TProject : IProjectMetadata, new()
    {
        // Through the generated Projects.* type, so that migration steps and extra instances run the AppHost's build output instead of building again.
        return AsService(builder.AddBuiltProject<TProject>(name))
            .WithAnnotation(new SameProject(otherName => builder.AddBuiltProject<TProject>(otherName, excludeLaunchProfile: true)));
    }

    private static IResourceBuilder<ProjectResource> AsService(IResourceBuilder<ProjectResource> service)
    {
        return service.WithHttpHealthCheck("/health").WithMetricsEndpoint();
    }

    /// <summary>
    /// Runs the service as <paramref name="count"/> instances that the gateway balances over: <c>catalog</c>,
    /// <c>catalog-2</c>, … Aspire's <c>WithReplicas</c> would put them behind one proxied address, where no client
    /// can tell them apart, pick the least busy one or avoid a failing one — so in run mode each extra instance is a
    /// resource of its own with its own endpoint and health check, the first one's settings and connection strings,
    /// and its waits. Call it last. Published, it is one resource with replicas.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithInstances(this IResourceBuilder<ProjectResource> service, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var builder = service.ApplicationBuilder;
        if (!builder.ExecutionContext.IsRunMode)
        {
            return count > 1 ? service.WithReplicas(count) : service;
        }

        var sameProject = service.Resource.Annotations.OfType<SameProject>().SingleOrDefault()
            ?? throw new InvalidOperationException($"Add '{service.Resource.Name}' with AddService<TProject>() to give it more instances.");
        var instances = new List<IResourceBuilder<ProjectResource>> { service.WithDirectEndpoint() };
        for (var i = 2; i <= count; i++)
        {
            var instance = AsService(sameProject.Add($"{service.Resource.Name}-{i}").WithHttpEndpoint(name: "http"))
                .WithDirectEndpoint()
                .WithEnvironment(context => SameEnvironmentAsync(service.Resource, context));
            foreach (var wait in service.Resource.Annotations.OfType<WaitAnnotation>())
            {
                instance.WithAnnotation(wait, ResourceAnnotationMutationBehavior.Append);
            }

            instances.Add(instance);
        }

        return service.WithAnnotation(new ServiceInstances(instances));
    }

    /// <summary>The first instance's environment (connection strings, service discovery, settings) without what makes it that instance.</summary>
    private static async Task SameEnvironmentAsync(ProjectResource first, EnvironmentCallbackContext context)
    {
        var environment = new Dictionary<string, object>();
        var firstContext = new EnvironmentCallbackContext(context.ExecutionContext, first, environment, context.CancellationToken);
        foreach (var callback in first.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(firstContext);
        }

        foreach (var (name, value) in environment.Where(e => !InstanceSpecific.Contains(e.Key)))
        {
            context.EnvironmentVariables[name] = value;
        }
    }

    private static readonly HashSet<string> InstanceSpecific =
        ["ASPNETCORE_URLS", "HTTP_PORTS", "HTTPS_PORTS", "ASPNETCORE_HTTPS_PORT", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "Metrics__Port"];

    /// <summary>
    /// Clients connect to the service itself, not to a proxy in front of it: it sees their real address (which the
    /// forwarded-header and rate-limit rules depend on). The port is fixed when the app model is built — the launch
    /// profile's, else a free one (<see cref="LoopbackPorts"/>; always a free one when tests ask for random ports) — so
    /// that a restarted instance comes back where the gateway expects it.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDirectEndpoint(this IResourceBuilder<ProjectResource> service)
    {
        var randomized = bool.TryParse(service.ApplicationBuilder.Configuration["DcpPublisher:RandomizePorts"], out var value) && value;
        return service.WithEndpoint("http", endpoint =>
        {
            endpoint.IsProxied = false;
            if (endpoint.Port is null || randomized)
            {
                endpoint.Port = LoopbackPorts.Free();
            }

            endpoint.TargetPort = endpoint.Port;
        });
    }

    /// <summary>Every instance of <paramref name="service"/> (itself first), as <see cref="WithInstances"/> made them.</summary>
    public static IReadOnlyList<IResourceBuilder<ProjectResource>> Instances(this IResourceBuilder<ProjectResource> service) =>
        service.Resource.Annotations.OfType<ServiceInstances>().SingleOrDefault()?.All ?? [service];

    private sealed record ServiceInstances(IReadOnlyList<IResourceBuilder<ProjectResource>> All) : IResourceAnnotation;

    /// <summary>
    /// Gives a resource another service's database (the worker that keeps the catalog's stock, say): both connection
    /// strings, and a start only after <paramref name="owner"/>'s migration step has completed.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDatabaseOf(this IResourceBuilder<ProjectResource> resource,
        IResourceBuilder<ProjectResource> owner, ReplicatedPostgresDatabase database)
    {
        var step = owner.Resource.Annotations.OfType<MigrationStepAnnotation>().SingleOrDefault()
            ?? throw new InvalidOperationException($"'{owner.Resource.Name}' has no migration step: give it the database with WithDatabase first.");
        return resource.WithLogin(database, database.Login(resource.Resource.Name)).WaitForCompletion(step.Step)
            .WithSettingsFrom("ReadReplicas").WithSettingsFrom("Database");
    }

    /// <summary>
    /// Gives the service its database — <c>{db}</c> on the primary for commands, <c>{db}-readonly</c> over the
    /// replicas for queries — and a migration step that must complete before the service starts.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDatabase(this IResourceBuilder<ProjectResource> service, ReplicatedPostgresDatabase database)
    {
        service.WithMigrationStep(database);
        return service.WithLogin(database, database.Owner(service.Resource.Name))
            .WithSettingsFrom("ReadReplicas")  // say --ReadReplicas:MaxLag=00:00:10
            .WithSettingsFrom("Database");     // say --Database:MaxPoolSize=20
    }

    /// <summary>
    /// Gives the service its database split into <paramref name="shards"/> (<c>Sharding:Shards</c>: their connection names,
    /// in order), each as <see cref="WithDatabase"/> would, and one migration step for all of them — which also gives out
    /// the buckets on a new deployment.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithShardedDatabase(this IResourceBuilder<ProjectResource> service,
        IReadOnlyList<ReplicatedPostgresDatabase> shards)
    {
        var role = service.Resource.Name;
        service.WithMigrationStep(shards[0], step =>
        {
            foreach (var shard in shards.Skip(1))
            {
                step.WithLogin(shard, shard.Owner(role), replicas: false);
            }

            step.WithShardNames(shards);
        });
        foreach (var shard in shards)
        {
            service.WithLogin(shard, shard.Owner(role));
        }

        return service.WithShardNames(shards).WithSettingsFrom("ReadReplicas").WithSettingsFrom("Database");
    }

    private static IResourceBuilder<ProjectResource> WithShardNames(this IResourceBuilder<ProjectResource> resource,
        IReadOnlyList<ReplicatedPostgresDatabase> shards)
    {
        for (var i = 0; i < shards.Count; i++)
        {
            resource.WithEnvironment($"Sharding__Shards__{i}", shards[i].Name);
        }

        return resource;
    }

    /// <summary>
    /// Passes the AppHost's settings under <paramref name="section"/> (say <c>eng/run.sh --Payments:FailureRate=1</c>)
    /// on to the service under the same keys; the service's own defaults apply to the rest.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithSettingsFrom(this IResourceBuilder<ProjectResource> service, string section)
    {
        foreach (var (key, value) in service.ApplicationBuilder.Configuration.GetSection(section).AsEnumerable())
        {
            if (value is { Length: > 0 })
            {
                service.WithEnvironment(key.Replace(":", "__", StringComparison.Ordinal), value);
            }
        }

        return service;
    }

    /// <summary>
    /// Adds <c>{service}-migrations</c>: the service's own project run with the <c>migrate</c> argument, which
    /// applies its EF Core migrations (and, in development, seed data) and exits. The service waits for it,
    /// so migrations run once per start of the platform, not once per service replica.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithMigrationStep(this IResourceBuilder<ProjectResource> service,
        ReplicatedPostgresDatabase database, Action<IResourceBuilder<ProjectResource>>? configure = null)
    {
        var builder = service.ApplicationBuilder;
        var sameProject = service.Resource.Annotations.OfType<SameProject>().SingleOrDefault()
            ?? throw new InvalidOperationException($"Add '{service.Resource.Name}' with AddService<TProject>() to give it a migration step.");
        // No launch profile: the step serves nothing, so it must not take the service's port.
        var migrations = sameProject.Add($"{service.Resource.Name}-migrations")
            .WithArgs("migrate")
            .WithLogin(database, database.Owner(service.Resource.Name), replicas: false)
            // Who may connect (the step revokes it from everyone else): read when the app runs or is published, once
            // every service that uses the database (WithDatabaseOf, later in Program.cs) has its login.
            .WithEnvironment(context => context.EnvironmentVariables["Database__Logins"] = string.Join(';', database.LoginRoles))
            .WithIconName("DatabaseArrowUp");
        if (builder.ExecutionContext.IsRunMode)
        {
            migrations.WithEnvironment("DOTNET_ENVIRONMENT", builder.Environment.EnvironmentName);
        }

        configure?.Invoke(migrations);
        service.WaitForCompletion(migrations).WithAnnotation(new MigrationStepAnnotation(migrations));
        return service;
    }

    /// <summary>
    /// Connects the resource to <paramref name="database"/> as <paramref name="login"/>'s role, under the database's own
    /// connection names (<c>{db}</c>, and <c>{db}-readonly</c> with <paramref name="replicas"/>), once that role can log in.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithLogin(this IResourceBuilder<ProjectResource> resource,
        ReplicatedPostgresDatabase database, DatabaseLogin login, bool replicas = true)
    {
        resource.WithReference(login.Primary, database.Name).WaitFor(login.Primary);
        return replicas ? resource.WithReference(login.ReadOnly, $"{database.Name}-readonly") : resource;
    }

    internal sealed record MigrationStepAnnotation(IResourceBuilder<ProjectResource> Step) : IResourceAnnotation;

    /// <summary>The service's migration step (given by <c>WithDatabase</c> or <c>WithMigrationStep</c>).</summary>
    public static IResourceBuilder<ProjectResource> MigrationStep(this IResourceBuilder<ProjectResource> service) =>
        service.Resource.Annotations.OfType<MigrationStepAnnotation>().SingleOrDefault()?.Step
            ?? throw new InvalidOperationException($"'{service.Resource.Name}' has no migration step.");

    /// <summary>Adds another resource running the same project (the migration step, more instances), without a launch profile.</summary>
    internal sealed record SameProject(Func<string, IResourceBuilder<ProjectResource>> Add) : IResourceAnnotation;
}
