using Platform.AppHost.Infrastructure.Postgres;

namespace Platform.AppHost.Services;

/// <summary>How a platform service joins the app model: probes, graceful stop, its database and its migration step.</summary>
public static class ServiceResources
{
    /// <summary>A .NET service: ready when its <c>/health</c> answers; Stop and Restart work on Linux too.</summary>
    public static IResourceBuilder<ProjectResource> AddService<TProject>(this IDistributedApplicationBuilder builder, [ResourceName] string name)
        where TProject : IProjectMetadata, new()
    {
        var service = builder.AddProject<TProject>(name)
            .WithHttpHealthCheck("/health")
            .WithGracefulStop()
            // Through the generated Projects.* type, so the step too runs the AppHost's build output instead of building again.
            .WithAnnotation(new SameProject(stepName => builder.AddProject<TProject>(stepName, options => options.ExcludeLaunchProfile = true)));
        if (builder.ExecutionContext.IsRunMode)
        {
            // On one machine every service shares a few cores: one GC heap each (workstation GC) keeps the whole platform's
            // memory in bounds. Deployments keep the Web SDK's server GC.
            service.WithEnvironment("DOTNET_gcServer", "0");
        }

        return service;
    }

    /// <summary>
    /// Gives a resource another service's database (the worker that keeps the catalog's stock, say): both connection
    /// strings, and a start only after <paramref name="owner"/>'s migration step has completed.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDatabaseOf(this IResourceBuilder<ProjectResource> resource,
        IResourceBuilder<ProjectResource> owner, ReplicatedPostgresDatabase database)
    {
        var step = owner.Resource.Annotations.OfType<MigrationStepAnnotation>().SingleOrDefault()
            ?? throw new InvalidOperationException($"'{owner.Resource.Name}' has no migration step: give it the database with WithDatabase first.");
        return resource.WithReference(database.Primary).WithReference(database.ReadOnly).WaitForCompletion(step.Step);
    }

    /// <summary>
    /// Gives the service its database — <c>{db}</c> on the primary for commands, <c>{db}-readonly</c> over the
    /// replicas for queries — and a migration step that must complete before the service starts.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDatabase(this IResourceBuilder<ProjectResource> service, ReplicatedPostgresDatabase database)
    {
        service.WithMigrationStep(database);
        return service.WithReference(database.Primary).WithReference(database.ReadOnly);
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
            .WithReference(database.Primary).WaitFor(database.Primary)
            .WithIconName("DatabaseArrowUp");
        if (builder.ExecutionContext.IsRunMode)
        {
            migrations.WithEnvironment("DOTNET_ENVIRONMENT", builder.Environment.EnvironmentName);
        }

        configure?.Invoke(migrations);
        service.WaitForCompletion(migrations).WithAnnotation(new MigrationStepAnnotation(migrations));
        return service;
    }

    private sealed record MigrationStepAnnotation(IResourceBuilder<ProjectResource> Step) : IResourceAnnotation;

    /// <summary>Adds another resource running the same project (the migration step), without a launch profile.</summary>
    internal sealed record SameProject(Func<string, IResourceBuilder<ProjectResource>> Add) : IResourceAnnotation;
}
