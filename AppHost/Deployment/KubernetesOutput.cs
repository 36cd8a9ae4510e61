#pragma warning disable ASPIREPIPELINES001, ASPIREPIPELINES004 // the pipeline API: Aspire 13's extension point for publishing steps
using System.Globalization;
using System.Text;
using Aspire.Hosting.Pipelines;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.AppHost.Deployment.Kubernetes;
using Platform.AppHost.Infrastructure.Postgres;
using Platform.AppHost.Infrastructure.RabbitMQ;
using Platform.Messaging;
using Platform.AppHost.Services;

namespace Platform.AppHost.Deployment;

/// <summary>
/// The Kubernetes deployment, generated from the app model — never written by hand: a kustomize base with a
/// Deployment per service (replicas as in the app model, probes, restricted pods, resources), a Service, a disruption
/// budget and a CPU autoscaler for each that serves HTTP, a KEDA ScaledObject on its queue for each worker, and a Job per
/// migration step; overlays <c>dev</c> (the app
/// model's replica counts) and <c>prod</c> (at least <see cref="ProductionReplicas"/> of every API and the gateway).
/// Run it with <c>dotnet run --project AppHost -- --operation publish --step publish-kubernetes --output-path deploy/k8s</c>
/// (or <c>aspire do publish-kubernetes</c>).
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
        // A service's database password is its login's: the Secret {cluster}-{role} (username, password) that the
        // cluster's role reads too.
        var brokers = model.Resources.OfType<RabbitMQServerResource>().Select(b => (Broker: b, Users: EventBusUsers.UsersOf(b))).ToList();
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
            var objects = new List<object> { Workloads.Deployment(project.Name, replicas, env, [.. arguments], servesHttp, waitsForMigrations: steps.ContainsValue(project)) };
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

            if (project.Annotations.OfType<WorkerResources.QueueConsumerAnnotation>().SingleOrDefault() is { } consumer)
            {
                objects.Add(Workloads.ScaledObject(project.Name, consumer.Queue, MaxReplicas));
            }

            objects.Add(Workloads.DisruptionBudget(project.Name));
            objects.Add(NetworkPolicies.ForService(project.Name, frontDoor, callers[project.Name], servesHttp));
            files[$"base/{project.Name}.yaml"] = Documents([.. objects]);
        }

        foreach (var (primary, cluster) in clusters)
        {
            var names = model.Resources.OfType<PostgresReplicaContainerResource>().Where(r => r.Primary == primary).Select(r => r.Name).Append(primary.Name).ToHashSet();
            files[$"base/{primary.Name}.yaml"] = Documents([
                .. DataStores.PostgresCluster(primary.Name, cluster!.ReplicaCount, cluster.LoginPasswords.Keys.Order(StringComparer.Ordinal),
                    cluster.Databases.Where(d => d.OwnerRole is not null).Select(d => (d.Name, d.OwnerRole!))),
                NetworkPolicies.ForPostgres(primary.Name, projects.Where(p => reached[p.Name].Overlaps(names)).Select(p => p.Name))]);
        }

        var options = new EventBusOptions();
        foreach (var (broker, users) in brokers)
        {
            files[$"base/{broker.Name}.yaml"] = Documents([
                .. DataStores.BrokerCluster(broker.Name, users.Select(u => (u.Name, u.Permissions(options), u.TopicPermissions(options))),
                    options.Exchange, EventTopology.UnroutedQueue(options), new Dictionary<string, object>
                    {
                        ["x-message-ttl"] = (int)EventTopology.UnroutedTimeToLive.TotalMilliseconds,
                        ["x-max-length"] = EventTopology.UnroutedMaxLength,
                    }),
                NetworkPolicies.ForBroker(broker.Name, projects.Where(p => reached[p.Name].Contains(broker.Name)).Select(p => p.Name))]);
        }

        foreach (var redis in model.Resources.OfType<RedisResource>())
        {
            files[$"base/{redis.Name}.yaml"] = await RedisAsync(redis, resolver, projects.Where(p => reached[p.Name].Contains(redis.Name)).Select(p => p.Name));
        }

        files["base/kustomization.yaml"] = Kustomization([.. files.Keys.Select(Path.GetFileName)!]) + Settings(resolver.SettingKeys, configuration);
        files["overlays/dev/kustomization.yaml"] = Kustomization(["../../base"]);
        files["overlays/prod/kustomization.yaml"] = Production(scaled);
        files["PARAMETERS.md"] = Parameters(resolver, configuration);
        return files;
    }

    /// <summary>
    /// Redis as the app model runs it (image, command line with the services' ACL users, passwords from the Secret), as
    /// the image's <c>redis</c> user, its data on a volume; only the services that use it may connect.
    /// </summary>
    private static async Task<string> RedisAsync(RedisResource redis, ValueResolver resolver, IEnumerable<string> clients)
    {
        const int Port = 6379;
        const long RedisUser = 999;
        var (environment, arguments) = await resolver.ReadAsync(redis);
        var image = redis.Annotations.OfType<ContainerImageAnnotation>().Single();
        return Documents(
            DataStores.StatefulSet(redis.Name, $"{image.Registry}/{image.Image}:{image.Tag}", redis.Entrypoint, [.. arguments],
                await resolver.EnvironmentAsync(environment), Port, "/data", RedisUser, "1Gi"),
            Workloads.Service(redis.Name, "tcp", Port),
            NetworkPolicies.ForStore(redis.Name, Port, clients));
    }

    /// <summary>A front door's public host names: the deployment's own, given when the output is generated.</summary>
    private static List<string> Hosts(IConfiguration configuration, string frontDoor) =>
        [.. (configuration[$"Parameters:{AllowedHosts.ParameterOf(frontDoor)}"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>
    /// The parameters that are not secret (host names, the issuer) are the deployment's settings, given when the output is
    /// generated (<c>--Parameters:{name}=…</c>) and kept in the ConfigMap <c>parameters</c> it writes.
    /// </summary>
    private static string Settings(IEnumerable<string> keys, IConfiguration configuration)
    {
        var missing = keys.Where(key => configuration[$"Parameters:{key}"] is not { Length: > 0 }).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException("The Kubernetes output needs the deployment's settings: "
                + string.Join(' ', missing.Select(key => $"--Parameters:{key}=…")));
        }

        var text = new StringBuilder($"configMapGenerator:\n  - name: {ValueResolver.Parameters}\n    literals:\n");
        foreach (var key in keys)
        {
            text.Append(CultureInfo.InvariantCulture, $"      - {JsonSerializer.Serialize($"{key}={configuration[$"Parameters:{key}"]}")}\n");
        }

        return text.ToString();
    }

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

    private static string Documents(params object[] objects) =>
        string.Join("---\n", objects.Select(o => KubernetesYaml.Serialize(o).TrimEnd() + "\n"));

    private static string Kustomization(IEnumerable<string> resources)
    {
        var text = new StringBuilder("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
        foreach (var resource in resources.Where(r => r != "kustomization.yaml"))
        {
            text.Append(CultureInfo.InvariantCulture, $"  - {resource}\n");
        }

        return text.ToString();
    }

    /// <summary>Production: every API and the gateway at least <see cref="ProductionReplicas"/> pods, also at the autoscaler's low end.</summary>
    private static string Production(IReadOnlyList<string> scaled)
    {
        var text = new StringBuilder(Kustomization(["../../base"]));
        text.Append("replicas:\n");
        foreach (var name in scaled)
        {
            text.Append(CultureInfo.InvariantCulture, $"  - name: {name}\n    count: {ProductionReplicas}\n");
        }

        text.Append("patches:\n");
        foreach (var name in scaled)
        {
            text.Append(CultureInfo.InvariantCulture, $"""
                  - target: {"{"} kind: HorizontalPodAutoscaler, name: {name} {"}"}
                    patch: |-
                      - op: replace
                        path: /spec/minReplicas
                        value: {ProductionReplicas}

                """);
        }

        return text.ToString();
    }

    private static string Parameters(ValueResolver resolver, IConfiguration configuration)
    {
        var text = new StringBuilder("""
            # Parameters of this deployment

            The manifests refer to the secrets below and hold none of them. Create the Secret in the namespace before
            applying an overlay (e.g. `kubectl create secret generic parameters --from-env-file=secrets.env`, one
            `key=value` per line), or let your secret store create it. Also expected: the ConfigMap `telemetry` with
            `otlp-endpoint`, the OTLP address of the cluster's OpenTelemetry collector, and a TLS certificate
            `<front door>-tls` for each ingress.

            ## Secret `parameters`


            """);
        foreach (var key in resolver.SecretKeys)
        {
            text.Append(CultureInfo.InvariantCulture, $"- `{key}`\n");
        }

        text.Append("\n## Login Secrets (type `kubernetes.io/basic-auth`: `username` = the role, `password`)\n\n");
        foreach (var secret in resolver.LoginSecrets)
        {
            text.Append(CultureInfo.InvariantCulture, $"- `{secret}`\n");
        }

        text.Append("\n## Settings (ConfigMap `parameters`, generated from the values given to the generator)\n\n");
        foreach (var key in resolver.SettingKeys)
        {
            text.Append(CultureInfo.InvariantCulture, $"- `{key}` = `{configuration[$"Parameters:{key}"]}`\n");
        }

        return text.ToString();
    }
}
