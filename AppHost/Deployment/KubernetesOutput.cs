#pragma warning disable ASPIREPIPELINES001, ASPIREPIPELINES004 // the pipeline API: Aspire 13's extension point for publishing steps
using Aspire.Hosting.Pipelines;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.AppHost.Deployment.Kubernetes;
using Platform.AppHost.Infrastructure.Postgres;
using Platform.AppHost.Infrastructure.RabbitMQ;
using Platform.AppHost.Services;

namespace Platform.AppHost.Deployment;

/// <summary>
/// The Kubernetes deployment, generated from the app model — never written by hand (docs/kubernetes.md): a kustomize base
/// with the services (<see cref="Workloads"/>), their data stores (<see cref="DataStores"/>), who may reach whom
/// (<see cref="NetworkPolicies"/>) and what Prometheus watches (<see cref="Monitoring"/>), overlays <c>dev</c> (the app model's replica counts) and <c>prod</c> (at least
/// <see cref="ProductionReplicas"/> pods of every service that serves HTTP). A publishing step:
/// <c>dotnet run --project AppHost -- --operation publish --step publish-kubernetes --output-path deploy/k8s --Parameters:…</c>.
/// </summary>
public static class KubernetesOutput
{
    public const string StepName = "publish-kubernetes";

    public const int ProductionReplicas = 3;

    private const int MaxReplicas = 10;

    public static IDistributedApplicationBuilder AddKubernetesOutput(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Pipeline.AddStep(StepName, async context =>
        {
            var output = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
            SortedDictionary<string, string> files;
            try
            {
                files = await GenerateAsync(context.Model, context.ExecutionContext, context.Services.GetRequiredService<IConfiguration>());
            }
            catch
            {
                // Aspire logs a failed step but ends the AppHost with 0: a script or CI job must see the failure.
                Environment.ExitCode = 1;
                throw;
            }

            foreach (var (path, text) in files)
            {
                var file = Path.Combine(output, path);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                await File.WriteAllTextAsync(file, text, context.CancellationToken);
            }

            context.Logger.LogInformation("Kubernetes output ({Count} files) written to {Output}", files.Count, output);
        });
        return builder;
    }

    /// <summary>The files of the output, by path relative to the output folder.</summary>
    internal static async Task<SortedDictionary<string, string>> GenerateAsync(DistributedApplicationModel model,
        DistributedApplicationExecutionContext executionContext, IConfiguration configuration)
    {
        var clusters = model.Resources.OfType<PostgresServerResource>()
            .Select(p => (Primary: p, p.Annotations.OfType<ReplicatedPostgres.ClusterAnnotation>().SingleOrDefault()?.Cluster))
            .Where(c => c.Cluster is not null).ToList();
        var brokers = model.Resources.OfType<RabbitMQServerResource>().Select(b => (Broker: b, Users: EventBusUsers.UsersOf(b))).ToList();
        // A login's password (database role, broker user) is one Secret, {store}-{login} (username, password), read by the
        // store's operator for the login and by the service for its connection string.
        var logins = clusters.SelectMany(c => c.Cluster!.LoginPasswords.Select(l => (Password: l.Value, Key: new SecretKey($"{c.Primary.Name}-{l.Key}", "password"))))
            .Concat(brokers.SelectMany(b => b.Users.Select(u => (u.Password, Key: new SecretKey($"{b.Broker.Name}-{u.Name}", "password")))))
            .ToDictionary(l => l.Password, l => l.Key);
        var resolver = new ValueResolver(model, executionContext, AddressOf, parameter => logins.GetValueOrDefault(parameter));
        var projects = model.Resources.OfType<ProjectResource>().ToList();
        var steps = projects.SelectMany(p => p.Annotations.OfType<ServiceResources.MigrationStepAnnotation>().Select(a => (Service: p, Step: a.Step.Resource)))
            .ToDictionary(s => s.Step, s => s.Service);
        var environments = new Dictionary<ProjectResource, (List<V1EnvVar> Environment, IReadOnlyList<string> Arguments)>();
        var reached = new Dictionary<string, HashSet<string>>(); // by project: the resources it connects to
        foreach (var project in projects)
        {
            var (environment, arguments) = await resolver.ReadAsync(project);
            reached[project.Name] = [];
            var env = await resolver.EnvironmentAsync(environment, reached[project.Name]);
            if (env.Any(e => e.Name == "services__identity__http__0"))
            {
                // Token keys come from identity over the cluster network (HTTP inside; TLS ends at the ingress).
                env.Add(new V1EnvVar { Name = "Identity__RequireHttpsMetadata", Value = "false" });
            }

            environments[project] = (env, arguments);
        }

        // A service may be called by the services that know its address (service discovery: services__{name}__http__0).
        var callers = projects.Where(p => !steps.ContainsKey(p)).ToDictionary(p => p.Name, p => projects
            .Where(caller => caller != p && environments[caller].Environment.Any(e => e.Name == $"services__{p.Name}__http__0"))
            .Select(caller => caller.Name).Order(StringComparer.Ordinal).ToList());

        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var scaled = new List<string>();
        foreach (var project in projects)
        {
            var (env, arguments) = environments[project];
            if (steps.TryGetValue(project, out var service))
            {
                files[$"base/{project.Name}.yaml"] = Documents(Workloads.Job(project.Name, env, [.. arguments], image: service.Name));
                continue;
            }

            var replicas = project.Annotations.OfType<ReplicaAnnotation>().LastOrDefault()?.Replicas ?? 1;
            var endpoint = project.Annotations.OfType<EndpointAnnotation>().SingleOrDefault(e => e.Name == "http");
            var servesHttp = endpoint is not null;
            var frontDoor = endpoint is { IsExternal: true };
            // Started only after a migration step in the app model (its own, or the owner's of a database it uses).
            var waitsForMigrations = project.Annotations.OfType<WaitAnnotation>()
                .Any(w => w.WaitType == WaitType.WaitForCompletion && w.Resource is ProjectResource step && steps.ContainsKey(step));
            var objects = new List<object> { Workloads.Deployment(project.Name, replicas, env, [.. arguments], servesHttp, waitsForMigrations) };
            if (servesHttp)
            {
                objects.Add(Workloads.Service(project.Name));
                objects.Add(Workloads.Autoscaler(project.Name, replicas, MaxReplicas));
                scaled.Add(project.Name);
            }

            if (frontDoor)
            {
                objects.Add(Workloads.Ingress(project.Name, Hosts(configuration, project.Name)));
            }

            if (project.Annotations.OfType<QueueConsumerAnnotation>().SingleOrDefault() is { } consumer)
            {
                objects.Add(Workloads.ScaledObject(project.Name, consumer.Queue, MaxReplicas));
            }

            objects.Add(Workloads.DisruptionBudget(project.Name));
            objects.Add(NetworkPolicies.ForService(project.Name, frontDoor, callers[project.Name], servesHttp));
            files[$"base/{project.Name}.yaml"] = Documents([.. objects]);
        }

        IEnumerable<string> ClientsOf(IReadOnlySet<string> store) => projects.Where(p => reached[p.Name].Overlaps(store)).Select(p => p.Name);
        foreach (var (primary, cluster) in clusters)
        {
            var servers = model.Resources.OfType<PostgresReplicaContainerResource>().Where(r => r.Primary == primary).Select(r => r.Name).Append(primary.Name).ToHashSet();
            files[$"base/{primary.Name}.yaml"] = Documents([.. DataStores.Postgres(primary.Name, cluster!), NetworkPolicies.ForPostgres(primary.Name, ClientsOf(servers))]);
        }

        foreach (var (broker, users) in brokers)
        {
            files[$"base/{broker.Name}.yaml"] = Documents([.. DataStores.Broker(broker.Name, users), NetworkPolicies.ForBroker(broker.Name, ClientsOf(new HashSet<string> { broker.Name }))]);
        }

        // Prometheus (Operator) scrapes every service's pods and the brokers, and evaluates the alert rules.
        files["base/monitoring.yaml"] = Documents([Monitoring.ServicesMonitor(callers.Keys), .. brokers.Select(b => Monitoring.BrokerMonitor(b.Broker.Name)),
            Monitoring.AlertRules()]);

        foreach (var redis in model.Resources.OfType<RedisResource>())
        {
            files[$"base/{redis.Name}.yaml"] = Documents([.. await DataStores.RedisAsync(redis, resolver), NetworkPolicies.ForStore(redis.Name, DataStores.RedisPort, ClientsOf(new HashSet<string> { redis.Name }))]);
        }

        files["base/kustomization.yaml"] = Kustomize.Base(files.Keys.Select(Path.GetFileName)!, resolver.SettingKeys,
            ContainerImages.Projects(model).Select(p => p.Name), configuration);
        files["overlays/dev/kustomization.yaml"] = Kustomize.Kustomization(["../../base"]);
        files["overlays/prod/kustomization.yaml"] = Kustomize.Production(scaled, ProductionReplicas);
        files["PARAMETERS.md"] = Kustomize.Parameters(resolver, configuration);
        return files;
    }

    /// <summary>A front door's public host names: the deployment's own, given when the output is generated.</summary>
    private static List<string> Hosts(IConfiguration configuration, string frontDoor) =>
        [.. (configuration[$"Parameters:{AllowedHosts.ParameterOf(frontDoor)}"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>Where a resource's endpoint is reached inside the cluster; null for what is not deployed there.</summary>
    private static Address? AddressOf(IResource resource, string endpoint) => resource switch
    {
        ProjectResource => endpoint == "http" ? new("http", resource.Name, Workloads.HttpPort) : null, // TLS ends at the ingress
        PostgresServerResource => new("tcp", $"{resource.Name}-rw", 5432),                             // the cluster's read-write service
        PostgresReplicaContainerResource replica => new("tcp", $"{replica.Primary.Name}-ro", 5432),    // and its read-only one
        IResourceWithEndpoints => resource.Annotations.OfType<EndpointAnnotation>().SingleOrDefault(e => e.Name == endpoint) is { } e
            ? new(e.UriScheme, resource.Name, e.TargetPort ?? e.Port ?? throw new InvalidOperationException($"'{resource.Name}' endpoint '{endpoint}' has no port."))
            : null,
        _ => null,
    };

    internal static string Documents(params object[] objects) =>
        string.Join("---\n", objects.Select(o => KubernetesYaml.Serialize(o).TrimEnd() + "\n"));
}
