#pragma warning disable ASPIREPIPELINES001, ASPIREPIPELINES004 // the pipeline API: Aspire 13's extension point for publishing steps
using System.Globalization;
using System.Text;
using Aspire.Hosting.Pipelines;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.AppHost.Deployment.Kubernetes;
using Platform.AppHost.Infrastructure.Postgres;
using Platform.AppHost.Services;

namespace Platform.AppHost.Deployment;

/// <summary>
/// The Kubernetes deployment, generated from the app model — never written by hand: a kustomize base with a
/// Deployment per service (replicas as in the app model, probes, restricted pods, resources), a Service, a disruption
/// budget and a CPU autoscaler for each that serves HTTP, and a Job per migration step; overlays <c>dev</c> (the app
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
            var files = await GenerateAsync(context.Model, context.ExecutionContext);
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
        DistributedApplicationExecutionContext executionContext)
    {
        var resolver = new ValueResolver(model, executionContext, AddressOf);
        var projects = model.Resources.OfType<ProjectResource>().ToList();
        var steps = projects.SelectMany(p => p.Annotations.OfType<ServiceResources.MigrationStepAnnotation>().Select(a => (Service: p, Step: a.Step.Resource)))
            .ToDictionary(s => s.Step, s => s.Service);
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var scaled = new List<string>();

        foreach (var project in projects)
        {
            var (environment, arguments) = await resolver.ReadAsync(project);
            var env = await resolver.EnvironmentAsync(environment);
            if (steps.TryGetValue(project, out var service))
            {
                files[$"base/{project.Name}.yaml"] = Documents(Workloads.Job(project.Name, env, [.. arguments], image: service.Name));
                continue;
            }

            var replicas = project.Annotations.OfType<ReplicaAnnotation>().LastOrDefault()?.Replicas ?? 1;
            var servesHttp = project.Annotations.OfType<EndpointAnnotation>().Any(e => e.Name == "http");
            var objects = new List<object> { Workloads.Deployment(project.Name, replicas, env, [.. arguments], servesHttp) };
            if (servesHttp)
            {
                objects.Add(Workloads.Service(project.Name));
                objects.Add(Workloads.Autoscaler(project.Name, replicas, MaxReplicas));
                scaled.Add(project.Name);
            }

            objects.Add(Workloads.DisruptionBudget(project.Name));
            files[$"base/{project.Name}.yaml"] = Documents([.. objects]);
        }

        files["base/kustomization.yaml"] = Kustomization([.. files.Keys.Select(Path.GetFileName)!]);
        files["overlays/dev/kustomization.yaml"] = Kustomization(["../../base"]);
        files["overlays/prod/kustomization.yaml"] = Production(scaled);
        files["PARAMETERS.md"] = Parameters(resolver);
        return files;
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

    private static string Parameters(ValueResolver resolver)
    {
        var text = new StringBuilder("""
            # Parameters the deployment needs

            The manifests refer to these values; none is written in them. Create both objects in the namespace before
            applying an overlay (e.g. `kubectl create secret generic parameters --from-env-file=secrets.env` and
            `kubectl create configmap parameters --from-env-file=settings.env`), or let your secret store create them.
            The ConfigMap `telemetry` holds `otlp-endpoint`, the OTLP address of the cluster's OpenTelemetry collector.

            ## Secret `parameters`

            """);
        foreach (var key in resolver.SecretKeys)
        {
            text.Append(CultureInfo.InvariantCulture, $"- `{key}`\n");
        }

        text.Append("\n## ConfigMap `parameters`\n\n");
        foreach (var key in resolver.SettingKeys)
        {
            text.Append(CultureInfo.InvariantCulture, $"- `{key}`\n");
        }

        return text.ToString();
    }
}
