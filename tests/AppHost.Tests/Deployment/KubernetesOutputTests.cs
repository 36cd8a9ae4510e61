using System.Reflection;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;

namespace Platform.AppHost.Tests.Deployment;

/// <summary>Generates the Kubernetes output once (the README's command) and renders both overlays with kustomize.</summary>
public sealed class GeneratedKubernetes : IAsyncLifetime
{
    private readonly DirectoryInfo _output = Directory.CreateTempSubdirectory("k8s-output-");

    public string Output => _output.FullName;

    public IReadOnlyList<object> Dev { get; private set; } = [];

    public IReadOnlyList<object> Prod { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        await GenerateAsync(Output, [.. Settings, "--Infrastructure:PostgresReadReplicas=2", "--Orders:Shards=2"]);
        Dev = await RenderAsync(Path.Combine(Output, "overlays", "dev"));
        Prod = await RenderAsync(Path.Combine(Output, "overlays", "prod"));
    }

    /// <summary>The deployment's own settings, which the generator requires: its public host names and issuer.</summary>
    public static readonly string[] Settings =
    [
        "--Parameters:gateway-allowed-hosts=api.shop.test",
        "--Parameters:web-allowed-hosts=shop.test;www.shop.test",
        "--Parameters:identity-issuer=https://api.shop.test",
    ];

    public static async Task GenerateAsync(string output, params string[] settings)
    {
        var (exitCode, text) = await TryGenerateAsync(output, settings);
        Assert.True(exitCode == 0, $"generating the Kubernetes output failed: {text}");
    }

    /// <summary>A service's image when no registry or tag is given: its name, tagged with the solution's version.</summary>
    public static string ImageOf(string service) =>
        $"{service}:{typeof(GeneratedKubernetes).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0]}";

    /// <summary>The configuration the AppHost was built in, the tests' own.</summary>
    public static string Configuration => typeof(GeneratedKubernetes).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;

    public static Task<(int ExitCode, string Output)> TryGenerateAsync(string output, params string[] settings) =>
        Commands.RunAsync("dotnet",
            ["run", "--project", Projects.Platform_AppHost.ProjectPath, "--no-build", "-c", Configuration, "--no-launch-profile", "--",
             "--operation", "publish", "--step", "publish-kubernetes", "--output-path", output, .. settings]);

    /// <summary><c>kubectl kustomize</c> of an overlay, as typed objects.</summary>
    public static async Task<IReadOnlyList<object>> RenderAsync(string overlay)
    {
        var (exitCode, text) = await Commands.RunAsync("kubectl", ["kustomize", overlay]);
        Assert.True(exitCode == 0, text);
        return KubernetesYaml.LoadAllFromString(text, new Dictionary<string, Type>
        {
            ["keda.sh/v1alpha1/ScaledObject"] = typeof(ScaledObject),
            ["postgresql.cnpg.io/v1/Cluster"] = typeof(PostgresCluster),
            ["postgresql.cnpg.io/v1/Database"] = typeof(PostgresDatabase),
            ["rabbitmq.com/v1beta1/RabbitmqCluster"] = typeof(OperatorObject),
            ["rabbitmq.com/v1beta1/Exchange"] = typeof(OperatorObject),
            ["rabbitmq.com/v1beta1/Queue"] = typeof(OperatorObject),
            ["rabbitmq.com/v1beta1/Binding"] = typeof(OperatorObject),
            ["rabbitmq.com/v1beta1/User"] = typeof(OperatorObject),
            ["rabbitmq.com/v1beta1/Permission"] = typeof(OperatorObject),
            ["rabbitmq.com/v1beta1/TopicPermission"] = typeof(OperatorObject),
            ["monitoring.coreos.com/v1/PodMonitor"] = typeof(OperatorObject),
            ["monitoring.coreos.com/v1/PrometheusRule"] = typeof(OperatorObject),
        });
    }

    public ValueTask DisposeAsync()
    {
        _output.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }
}

public sealed partial class KubernetesOutputTests(GeneratedKubernetes generated) : IClassFixture<GeneratedKubernetes>
{
    // The app model's services and their replica counts (AppHost/Program.cs), and which of them serve HTTP.
    private static readonly Dictionary<string, int> Services = new()
    {
        ["identity"] = 1, ["catalog"] = 2, ["orders"] = 2, ["gateway"] = 1,
//#if (web)
        ["web"] = 2,
//#endif
//#if (workers)
        ["inventory"] = 2, ["payments"] = 2,
//#endif
    };

    private static readonly string[] Workers =
    [
//#if (workers)
        "inventory", "payments",
//#endif
    ];

    private static readonly Dictionary<string, string[]> FrontDoors = new()
    {
        ["gateway"] = ["api.shop.test"],
//#if (web)
        ["web"] = ["shop.test", "www.shop.test"],
//#endif
    };

    private static readonly string[] MigrationSteps =
    [
        "identity-migrations", "catalog-migrations", "orders-migrations",
//#if (workers)
        "payments-migrations",
//#endif
    ];

    [Fact]
    public void Prometheus_scrapes_every_pod_of_every_service_and_the_broker_and_evaluates_the_tested_alert_rules()
    {
        foreach (var deployment in generated.Prod.OfType<V1Deployment>().Where(d => Services.ContainsKey(d.Name())))
        {
            var container = deployment.Spec.Template.Spec.Containers.Single();
            Assert.Equal(9464, container.Ports.Single(p => p.Name == "metrics").ContainerPort);
            Assert.Contains(container.Env, e => e.Name == "Metrics__Port" && e.Value == "9464");
            Assert.Contains(container.Env, e => e.Name == "Metrics__Host" && e.Value == "+"); // the pod's address, not loopback
        }

        var monitors = generated.Prod.OfType<OperatorObject>().Where(o => o.Kind == "PodMonitor").ToDictionary(o => o.Metadata.Name);
        var services = monitors["services"].Spec;
        Assert.Equal("app.kubernetes.io/name", services["jobLabel"]);
        var selected = (Dictionary<object, object>)((List<object>)((Dictionary<object, object>)services["selector"])["matchExpressions"]).Single();
        Assert.Equal(["app.kubernetes.io/name", "In"], new[] { selected["key"], selected["operator"] });
        Assert.Equal(Services.Keys.Order(), ((List<object>)selected["values"]).Cast<string>().Order());
        Assert.Equal(("metrics", "/metrics"), Endpoint(services));
        var broker = monitors["eventbus"].Spec;
        Assert.Equal("eventbus", ((Dictionary<object, object>)((Dictionary<object, object>)broker["selector"])["matchLabels"])["app.kubernetes.io/name"]);
        Assert.Equal(("prometheus", "/metrics/per-object"), Endpoint(broker));
        var brokerPolicy = generated.Prod.OfType<V1NetworkPolicy>().Single(p => p.Name() == "eventbus");
        Assert.Contains(brokerPolicy.Spec.Ingress, r => r.Ports?.Single().Port.Value == "15692"
            && r.FromProperty.Single().NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] == "monitoring");

        // The rules file promtool tests, as it is: the same alerts with the same expressions.
        var groups = (List<object>)generated.Prod.OfType<OperatorObject>().Single(o => o.Kind == "PrometheusRule").Spec["groups"];
        var alerts = groups.Cast<Dictionary<object, object>>().SelectMany(g => ((List<object>)g["rules"]).Cast<Dictionary<object, object>>())
            .ToDictionary(r => (string)r["alert"], r => ((string)r["expr"]).Trim());
        Assert.Equal(Operations.AlertRules.AlertNames().Order(), alerts.Keys.Order());
        Assert.Equal("sum by (job) (up) == 0", alerts["ServiceDown"]);

        static (object Port, object Path) Endpoint(Dictionary<string, object> spec)
        {
            var endpoint = (Dictionary<object, object>)((List<object>)spec["podMetricsEndpoints"]).Single();
            return (endpoint["port"], endpoint["path"]);
        }
    }

    [Fact]
    public void Every_service_of_the_app_model_is_a_deployment_with_its_replica_count_probes_and_a_restricted_pod()
    {
        var deployments = generated.Dev.OfType<V1Deployment>().ToDictionary(d => d.Name());
        Assert.Equal(Services.Keys.Order(), deployments.Keys.Order());
        foreach (var (name, replicas) in Services)
        {
            var deployment = deployments[name];
            Assert.Equal(replicas, deployment.Spec.Replicas);
            var pod = deployment.Spec.Template.Spec;
            AssertRestricted(pod);
            var container = Assert.Single(pod.Containers);
            Assert.Equal(GeneratedKubernetes.ImageOf(name), container.Image);
            Assert.NotNull(container.Resources.Requests);
            Assert.True(container.Resources.Limits.ContainsKey("memory"), $"{name}: no memory limit");
            if (Workers.Contains(name))
            {
                Assert.Equal("metrics", container.LivenessProbe.TcpSocket.Port.Value); // its only listener
                continue;
            }

            Assert.Equal("/health", container.ReadinessProbe.HttpGet.Path);
            Assert.Equal("/alive", container.LivenessProbe.HttpGet.Path);
            Assert.Equal("/alive", container.StartupProbe.HttpGet.Path);
            Assert.Single(generated.Dev.OfType<V1Service>(), s => s.Name() == name && s.Spec.Ports.Single().Port == 8080);
            Assert.Single(generated.Dev.OfType<V1PodDisruptionBudget>(), b => b.Name() == name);
            Assert.Single(generated.Dev.OfType<V2HorizontalPodAutoscaler>(), a => a.Name() == name && a.Spec.MinReplicas == replicas);
        }
    }

    [Fact]
    public void Each_worker_is_scaled_by_keda_on_the_queue_it_consumes_down_to_zero_as_its_own_broker_user()
    {
        var scaled = generated.Prod.OfType<ScaledObject>().ToDictionary(s => s.Metadata.Name);
        Assert.Equal(Workers.Order(), scaled.Keys.Order());
        foreach (var (worker, scaledObject) in scaled)
        {
            Assert.Equal(worker, scaledObject.Spec.ScaleTargetRef["name"]);
            Assert.Equal(0, scaledObject.Spec.MinReplicaCount);
            var trigger = Assert.Single(scaledObject.Spec.Triggers);
            Assert.Equal("rabbitmq", trigger.Type);
            Assert.Equal(new Platform.Messaging.EventBusOptions { Consumer = worker }.Queue, trigger.Metadata["queueName"]); // the queue the event bus declares
            Assert.Equal("QueueLength", trigger.Metadata["mode"]);
            // KEDA reads the host from the worker's own environment: its own user, its password a reference.
            var host = Environment(worker)[trigger.Metadata["hostFromEnv"]].Value;
            Assert.Matches($@"^amqp://{worker}:\$\([A-Z0-9_]+\)@eventbus:5672$", host);
        }
    }

    [Fact]
    public void Only_the_front_doors_are_reached_from_outside_at_the_deployments_host_names_over_tls()
    {
        var ingresses = generated.Prod.OfType<V1Ingress>().ToDictionary(i => i.Name());
        Assert.Equal(FrontDoors.Keys.Order(), ingresses.Keys.Order());
        foreach (var (name, hosts) in FrontDoors)
        {
            var ingress = ingresses[name];
            Assert.Equal(hosts, ingress.Spec.Rules.Select(r => r.Host));
            Assert.All(ingress.Spec.Rules, rule => Assert.Equal(name, rule.Http.Paths.Single().Backend.Service.Name));
            Assert.Equal(hosts, Assert.Single(ingress.Spec.Tls).Hosts);
            Assert.Equal($"{name}-tls", ingress.Spec.Tls.Single().SecretName);
        }

        // The settings travel with the output (a generated ConfigMap), the front doors answer those host names only.
        var settings = generated.Prod.OfType<V1ConfigMap>().Single(c => c.Name().StartsWith("parameters-", StringComparison.Ordinal));
        Assert.Equal("api.shop.test", settings.Data["gateway-allowed-hosts"]);
        Assert.Equal("https://api.shop.test", settings.Data["identity-issuer"]);
        var allowedHosts = generated.Prod.OfType<V1Deployment>().Single(d => d.Name() == "gateway").Spec.Template.Spec.Containers.Single().Env
            .Single(e => e.Name == "PARAMETER_GATEWAY_ALLOWED_HOSTS");
        Assert.Equal(settings.Name(), allowedHosts.ValueFrom.ConfigMapKeyRef.Name);
    }

    [Fact]
    public void Services_accept_connections_only_from_the_services_that_refer_to_them_and_workers_from_nobody()
    {
        var policies = generated.Prod.OfType<V1NetworkPolicy>().Where(p => Services.ContainsKey(p.Name())).ToDictionary(p => p.Name());
        Assert.Equal(Services.Keys.Order(), policies.Keys.Order());
        foreach (var (name, policy) in policies)
        {
            Assert.Equal(name, policy.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"]);
            Assert.Equal(["Ingress"], policy.Spec.PolicyTypes);
            // Prometheus scrapes every pod; otherwise a worker accepts nothing.
            var scrape = Assert.Single(policy.Spec.Ingress, r => r.Ports.Single().Port.Value == "9464");
            Assert.Equal("monitoring", scrape.FromProperty.Single().NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
            var rules = policy.Spec.Ingress.Except([scrape]).ToList();
            if (Workers.Contains(name))
            {
                Assert.Empty(rules);
                continue;
            }

            var rule = Assert.Single(rules);
            Assert.Equal("8080", rule.Ports.Single().Port.Value);
            var callers = rule.FromProperty?.Select(peer => peer.PodSelector.MatchLabels["app.kubernetes.io/name"]).ToList();
            if (FrontDoors.ContainsKey(name))
            {
                Assert.Null(callers); // anyone: the ingress controller
            }
            else
            {
                Assert.NotNull(callers);
                Assert.DoesNotContain(name, callers);
                Assert.All(callers, caller => Assert.Contains(caller, Services.Keys));
            }
        }

        // The APIs behind the gateway: the gateway calls them; identity is also called by the services that validate its tokens.
        Assert.Contains("gateway", Callers(policies["catalog"]));
        Assert.Contains("gateway", Callers(policies["orders"]));
        Assert.Contains("catalog", Callers(policies["identity"]));
        Assert.DoesNotContain("catalog", Callers(policies["orders"]));
    }

    [Fact]
    public void RabbitMQ_is_a_quorum_ready_cluster_with_the_events_exchange_and_each_services_user_and_rights()
    {
        var broker = generated.Prod.OfType<OperatorObject>().ToList();
        Assert.Equal("3", broker.Single(o => o.Kind == "RabbitmqCluster" && o.Metadata.Name == "eventbus").Spec["replicas"].ToString());
        var options = new Platform.Messaging.EventBusOptions();
        var unrouted = Platform.Messaging.EventTopology.UnroutedQueue(options);
        var events = broker.Single(o => o.Kind == "Exchange" && (string)o.Spec["name"] == options.Exchange);
        Assert.Equal("topic", events.Spec["type"]);
        Assert.Equal(unrouted, ((Dictionary<object, object>)events.Spec["arguments"])["alternate-exchange"]);
        Assert.Equal("quorum", broker.Single(o => o.Kind == "Queue" && (string)o.Spec["name"] == unrouted).Spec["type"]);
        Assert.Single(broker, o => o.Kind == "Binding" && (string)o.Spec["source"] == unrouted && (string)o.Spec["destination"] == unrouted);

        // Every service that connects to the broker does so as a user the cluster gets, with the password of its Secret.
        var clients = new List<string>();
        foreach (var deployment in generated.Prod.OfType<V1Deployment>())
        {
            var env = deployment.Spec.Template.Spec.Containers.Single().Env;
            if (env.FirstOrDefault(e => e.Name == "ConnectionStrings__eventbus") is not { } connection)
            {
                continue;
            }

            clients.Add(deployment.Name());
            var user = Regex.Match(connection.Value, "^amqp://([^:]+):").Groups[1].Value;
            Assert.Equal(deployment.Name(), user);
            var secret = (string)((Dictionary<object, object>)broker.Single(o => o.Kind == "User" && o.Metadata.Name == $"eventbus-{user}").Spec["importCredentialsSecret"])["name"];
            var password = Regex.Match(connection.Value, @":\$\(([A-Z0-9_]+)\)@").Groups[1].Value;
            Assert.Equal(secret, env.Single(e => e.Name == password).ValueFrom.SecretKeyRef.Name);
            var permissions = (Dictionary<object, object>)broker.Single(o => o.Kind == "Permission" && (string)o.Spec["user"] == user).Spec["permissions"];
            Assert.Matches((string)permissions["configure"], $"{user}.dead");
            Assert.DoesNotMatch((string)permissions["configure"], "another.dead");
            Assert.Single(broker, o => o.Kind == "TopicPermission" && (string)o.Spec["user"] == user);
        }

        Assert.Contains("catalog", clients);
        var catalogTopics = (Dictionary<object, object>)broker.Single(o => o.Kind == "TopicPermission" && (string)o.Spec["user"] == "catalog").Spec["permissions"];
        Assert.Matches((string)catalogTopics["read"], "StockReserved");
        Assert.DoesNotMatch((string)catalogTopics["read"], "OrderPlaced");
        Assert.Equal(clients.Order(), broker.Where(o => o.Kind == "User").Select(o => o.Metadata.Name["eventbus-".Length..]).Order());

        var policy = generated.Prod.OfType<V1NetworkPolicy>().Single(p => p.Name() == "eventbus");
        Assert.Equal(clients.Order(), policy.Spec.Ingress[0].FromProperty.Where(peer => peer.PodSelector is not null)
            .Select(peer => peer.PodSelector.MatchLabels["app.kubernetes.io/name"]).Order());
        Assert.Contains(policy.Spec.Ingress[0].FromProperty, peer => peer.NamespaceSelector?.MatchLabels["kubernetes.io/metadata.name"] == "keda");
    }

    [Fact]
    public void Redis_runs_as_the_app_model_has_it_with_the_services_users_and_only_those_services_reach_it()
    {
        var redis = generated.Prod.OfType<V1StatefulSet>().Single(s => s.Name() == "redis");
        var pod = redis.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);
        Assert.StartsWith("docker.io/library/redis:", container.Image, StringComparison.Ordinal);
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
        Assert.Equal("/data", container.VolumeMounts.Single().MountPath);
        Assert.Equal("data", redis.Spec.VolumeClaimTemplates.Single().Name());
        Assert.Equal(6379, generated.Prod.OfType<V1Service>().Single(s => s.Name() == "redis").Spec.Ports.Single().Port);

        // The services that connect to Redis (as their own users) are exactly those it lets in.
        var clients = generated.Prod.OfType<V1Deployment>()
            .Where(d => d.Spec.Template.Spec.Containers.Single().Env.Any(e => e.Name == "ConnectionStrings__redis")).Select(d => d.Name()).Order().ToList();
        Assert.Contains("catalog", clients);
        var policy = generated.Prod.OfType<V1NetworkPolicy>().Single(p => p.Name() == "redis");
        Assert.Equal(clients, Callers(policy).Order());
        foreach (var client in clients)
        {
            Assert.Contains($"--user {client} ", string.Join(" ", container.Args), StringComparison.Ordinal);
        }

        Assert.All(container.Env, variable => Assert.True(variable.ValueFrom?.SecretKeyRef is not null || variable.Value?.StartsWith("$(", StringComparison.Ordinal) == true,
            $"redis: {variable.Name} is neither a secret reference nor refers to one"));
    }

    [Fact]
    public async Task The_generator_refuses_to_guess_the_deployments_host_names_and_issuer()
    {
        var output = Directory.CreateTempSubdirectory("k8s-output-").FullName;
        try
        {
            var (exitCode, text) = await GeneratedKubernetes.TryGenerateAsync(output, "--Parameters:gateway-allowed-hosts=api.shop.test");
            Assert.NotEqual(0, exitCode);
            Assert.Contains("--Parameters:identity-issuer=", text, StringComparison.Ordinal);
            Assert.DoesNotContain("--Parameters:gateway-allowed-hosts=…", text, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void Production_runs_at_least_three_pods_of_every_api_and_the_gateway_also_at_the_autoscalers_low_end()
    {
        foreach (var name in new[] { "identity", "catalog", "orders", "gateway" })
        {
            Assert.Equal(3, generated.Prod.OfType<V1Deployment>().Single(d => d.Name() == name).Spec.Replicas);
            Assert.Equal(3, generated.Prod.OfType<V2HorizontalPodAutoscaler>().Single(a => a.Name() == name).Spec.MinReplicas);
        }
    }

    [Fact]
    public void Each_migration_step_is_a_job_that_runs_its_services_image_with_migrate()
    {
        var jobs = generated.Prod.OfType<V1Job>().ToDictionary(j => j.Name());
        Assert.Equal(MigrationSteps.Order(), jobs.Keys.Order());
        foreach (var (name, job) in jobs)
        {
            var container = Assert.Single(job.Spec.Template.Spec.Containers);
            Assert.Equal(GeneratedKubernetes.ImageOf(name[..name.IndexOf("-migrations", StringComparison.Ordinal)]), container.Image);
            Assert.Equal(["migrate"], container.Args);
            Assert.Equal("OnFailure", job.Spec.Template.Spec.RestartPolicy);
            AssertRestricted(job.Spec.Template.Spec);
        }
    }

    [Fact]
    public void A_service_with_a_migration_step_starts_only_once_its_migrations_have_run()
    {
        // Its own database's steps, and for a worker on another's database (inventory on the catalog's), that one's.
        string[] waiting =
        [
            .. MigrationSteps.Select(step => step[..step.IndexOf("-migrations", StringComparison.Ordinal)]),
//#if (workers)
            "inventory",
//#endif
        ];
        Assert.Equal(waiting.Order(StringComparer.Ordinal),
            generated.Prod.OfType<V1Deployment>().Where(d => d.Spec.Template.Spec.InitContainers is { Count: > 0 }).Select(d => d.Name()).Order(StringComparer.Ordinal));
        foreach (var service in waiting)
        {
            var pod = generated.Prod.OfType<V1Deployment>().Single(d => d.Name() == service).Spec.Template.Spec;
            var wait = Assert.Single(pod.InitContainers);
            Assert.Equal(GeneratedKubernetes.ImageOf(service), wait.Image);
            Assert.Equal(["wait-for-migrations"], wait.Args);
            Assert.True(wait.SecurityContext.ReadOnlyRootFilesystem);
            // The service's own login; not its metrics listener.
            Assert.Equal(pod.Containers.Single().Env.Select(e => e.Name).Where(e => !e.StartsWith("Metrics__", StringComparison.Ordinal)), wait.Env.Select(e => e.Name));
        }
    }

    [Fact]
    public void Every_address_a_pod_is_given_is_a_service_of_the_output()
    {
        // Services of the output, and those its operators create: CloudNativePG's {cluster}-rw/-ro, RabbitMQ's {cluster}.
        var services = generated.Prod.OfType<V1Service>().Select(s => s.Name())
            .Concat(generated.Prod.OfType<PostgresCluster>().SelectMany(c => new[] { $"{c.Metadata.Name}-rw", $"{c.Metadata.Name}-ro" }))
            .Concat(generated.Prod.OfType<OperatorObject>().Where(o => o.Kind == "RabbitmqCluster").Select(o => o.Metadata.Name))
            .ToHashSet();
        var pods = generated.Prod.OfType<V1Deployment>().Select(d => d.Spec.Template.Spec).Concat(generated.Prod.OfType<V1Job>().Select(j => j.Spec.Template.Spec));
        var addresses = 0;
        foreach (var variable in pods.SelectMany(p => p.Containers).SelectMany(c => c.Env))
        {
            foreach (Match address in Address().Matches(variable.Value ?? ""))
            {
                addresses++;
                Assert.True(services.Contains(address.Groups["host"].Value), $"{variable.Name} points at {address.Value}, which nothing in the output serves");
            }
        }

        Assert.True(addresses > 20, $"only {addresses} addresses found: the pattern misses them");
    }

    [Fact]
    public void Services_reach_each_other_and_the_data_stores_by_their_cluster_addresses()
    {
        var catalog = Environment("catalog");
        Assert.Equal("http://identity:8080", catalog["services__identity__http__0"].Value);
        Assert.Equal("false", catalog["Identity__RequireHttpsMetadata"].Value); // its keys over the cluster network
        Assert.DoesNotContain(catalog.Keys, name => name.EndsWith("__https__0", StringComparison.Ordinal) || name.EndsWith("_HTTPS", StringComparison.Ordinal)); // TLS ends at the ingress
        Assert.StartsWith("Host=postgres-rw:5432;Username=catalog;", catalog["ConnectionStrings__catalogdb"].Value, StringComparison.Ordinal);
        // Reads: the cluster's read-only service (every replica), the primary when none answers.
        Assert.StartsWith("Host=postgres-ro:5432,postgres-rw:5432;Username=catalog;", catalog["ConnectionStrings__catalogdb-readonly"].Value, StringComparison.Ordinal);
        Assert.StartsWith("redis:6379,user=catalog,", catalog["ConnectionStrings__redis"].Value, StringComparison.Ordinal);
        Assert.StartsWith("amqp://catalog:", catalog["ConnectionStrings__eventbus"].Value, StringComparison.Ordinal);
        Assert.EndsWith("@eventbus:5672", catalog["ConnectionStrings__eventbus"].Value, StringComparison.Ordinal);
        Assert.Equal("http://catalog:8080", Environment("gateway")["services__catalog__http__0"].Value);
        Assert.Equal("$(PARAMETER_IDENTITY_ISSUER)", Environment("identity")["Identity__Issuer"].Value); // public, not the cluster address
        Assert.Equal("catalog", catalog["OTEL_SERVICE_NAME"].Value);
        Assert.Equal("telemetry", catalog["OTEL_EXPORTER_OTLP_ENDPOINT"].ValueFrom.ConfigMapKeyRef.Name);
    }

    [Fact]
    public void Secrets_are_only_references_to_the_parameters_or_a_logins_secret_and_each_is_documented()
    {
        var documented = File.ReadAllText(Path.Combine(generated.Output, "PARAMETERS.md"));
        var referenced = new HashSet<string>();
        var logins = new HashSet<string>();
        foreach (var container in generated.Prod.OfType<V1Deployment>().Select(d => d.Spec.Template.Spec)
                     .Concat(generated.Prod.OfType<V1Job>().Select(j => j.Spec.Template.Spec))
                     .Concat(generated.Prod.OfType<V1StatefulSet>().Select(s => s.Spec.Template.Spec)).SelectMany(p => p.Containers))
        {
            var defined = new List<string>();
            foreach (var variable in container.Env)
            {
                if (variable.ValueFrom?.SecretKeyRef is { } secret)
                {
                    if (secret.Name == "parameters")
                    {
                        referenced.Add(secret.Key);
                    }
                    else
                    {
                        Assert.Equal("password", secret.Key); // a login's Secret (basic-auth), shared with the data store
                        logins.Add(secret.Name);
                    }
                }

                // A password, key or secret in a value is always a reference to a variable defined before it.
                foreach (Match match in SecretInValue().Matches(variable.Value ?? ""))
                {
                    Assert.True(match.Groups["reference"].Success, $"{container.Name}: {variable.Name} holds a secret value");
                    Assert.Contains(match.Groups["variable"].Value, defined);
                }

                Assert.False(variable.Value is { } value && SecretName().IsMatch(variable.Name) && !OnlyReference().IsMatch(value),
                    $"{container.Name}: {variable.Name} has a value");
                defined.Add(variable.Name);
            }
        }

        Assert.Contains("identity-signing-key", referenced);
        Assert.Contains("postgres-catalog", logins);
        foreach (var key in referenced.Concat(logins))
        {
            Assert.Contains($"- `{key}`", documented, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Postgres_is_a_cloudnativepg_cluster_per_shard_with_the_replicas_the_services_roles_and_a_database_per_owner()
    {
        // The platform's cluster, and one of its own for every orders shard after the first (what sharding is for).
        var clusters = generated.Prod.OfType<PostgresCluster>().ToDictionary(c => c.Metadata.Name);
        Assert.Equal(["postgres", "postgres-ordersdb2"], clusters.Keys.Order(StringComparer.Ordinal)); // their services {name}-rw and {name}-ro
        Assert.All(clusters.Values, cluster => Assert.Equal(1 + 2, cluster.Spec.Instances)); // the primary and the two read replicas of this run

        var databases = generated.Prod.OfType<PostgresDatabase>().ToDictionary(d => d.Spec.Name, d => (d.Spec.Owner, Cluster: d.Spec.Cluster["name"]));
        Assert.Equal(("catalog", "postgres"), databases["catalogdb"]);
        Assert.Equal(("identity", "postgres"), databases["identitydb"]);
        Assert.Equal(("orders", "postgres"), databases["ordersdb"]);
        Assert.Equal(("orders", "postgres-ordersdb2"), databases["ordersdb2"]); // the second shard, on its own cluster

        var pods = generated.Prod.OfType<V1Deployment>().Select(d => (Name: d.Name(), d.Spec.Template.Spec))
            .Concat(generated.Prod.OfType<V1Job>().Select(j => (Name: j.Name(), j.Spec.Template.Spec))).ToList(); // the migration steps log in too
        foreach (var (name, cluster) in clusters)
        {
            // Every service that connects to a cluster logs in as a role of it, with the password of that role's Secret.
            var roles = cluster.Spec.Managed.Roles.ToDictionary(r => r.Name);
            var clients = new List<string>();
            foreach (var (pod, spec) in pods)
            {
                var env = spec.Containers.Single().Env;
                var connections = env.Where(e => e.Name.StartsWith("ConnectionStrings__", StringComparison.Ordinal)
                    && e.Value?.StartsWith($"Host={name}-rw:", StringComparison.Ordinal) == true).ToList();
                if (connections.Count == 0)
                {
                    continue;
                }

                clients.Add(pod);
                foreach (var connection in connections)
                {
                    var role = Regex.Match(connection.Value, "Username=([^;]+)").Groups[1].Value;
                    Assert.True(roles.ContainsKey(role), $"{pod} logs in to {name} as {role}, which the cluster does not have");
                    Assert.True(roles[role].Login);
                    var password = Regex.Match(connection.Value, @"Password=\$\(([A-Z0-9_]+)\)").Groups[1].Value;
                    Assert.Equal(roles[role].PasswordSecret["name"], env.Single(e => e.Name == password).ValueFrom.SecretKeyRef.Name);
                    Assert.StartsWith($"{name}-", roles[role].PasswordSecret["name"], StringComparison.Ordinal);
                }
            }

            Assert.Equal(name == "postgres"
                ? Services.Keys.Where(s => s is not "gateway" and not "web").Concat(MigrationSteps).Order()
                : ["orders", "orders-migrations"], clients.Order());
            if (name != "postgres")
            {
                Assert.Equal(["orders"], roles.Keys); // a shard's cluster has the one role that uses it
            }

            var policy = generated.Prod.OfType<V1NetworkPolicy>().Single(p => p.Name() == name);
            Assert.Equal(name, policy.Spec.PodSelector.MatchLabels["cnpg.io/cluster"]);
            Assert.Equal(clients.Order(), policy.Spec.Ingress[0].FromProperty.Select(peer => peer.PodSelector.MatchLabels["app.kubernetes.io/name"]).Order());
        }

        // A shard's reads: its own cluster's replicas, its primary when none answers.
        Assert.StartsWith("Host=postgres-ordersdb2-ro:5432,postgres-ordersdb2-rw:5432;Username=orders;",
            Environment("orders")["ConnectionStrings__ordersdb2-readonly"].Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_migration_job_leaves_its_database_open_to_exactly_the_roles_that_connect_to_it()
    {
        // CloudNativePG creates a database as anyone may connect to it; the migration step, as its owner, narrows that.
        var logins = generated.Prod.OfType<V1Deployment>().Select(d => d.Spec.Template.Spec).Concat(generated.Prod.OfType<V1Job>().Select(j => j.Spec.Template.Spec))
            .SelectMany(pod => pod.Containers.Single().Env)
            .Where(e => e.Name.StartsWith("ConnectionStrings__", StringComparison.Ordinal) && e.Value?.Contains("Host=postgres-", StringComparison.Ordinal) == true)
            .Select(e => (Database: Regex.Match(e.Value, "Database=([^;]+)").Groups[1].Value, Role: Regex.Match(e.Value, "Username=([^;]+)").Groups[1].Value))
            .ToLookup(l => l.Database, l => l.Role);
        foreach (var job in generated.Prod.OfType<V1Job>())
        {
            var env = job.Spec.Template.Spec.Containers.Single().Env;
            // One database, or each shard of a sharded service's.
            var databases = env.Where(e => e.Name.StartsWith("ConnectionStrings__", StringComparison.Ordinal) && Regex.IsMatch(e.Value ?? "", "^Host=postgres[a-z0-9-]*-rw:"))
                .Select(e => Regex.Match(e.Value, "Database=([^;]+)").Groups[1].Value).ToList();
            Assert.NotEmpty(databases);
            Assert.All(databases, database =>
                Assert.Equal(logins[database].Distinct().Order(StringComparer.Ordinal), env.Single(e => e.Name == "Database__Logins").Value.Split(';')));
        }
//#if (workers)

        Assert.Equal(["catalog", "inventory"], logins["catalogdb"].Distinct().Order(StringComparer.Ordinal));
//#endif
    }

    [Fact]
    public async Task A_replica_count_changed_in_the_app_model_changes_the_output()
    {
        var output = Directory.CreateTempSubdirectory("k8s-output-").FullName;
        try
        {
            await GeneratedKubernetes.GenerateAsync(output, [.. GeneratedKubernetes.Settings, "--Services:Instances=4"]);
            var dev = await GeneratedKubernetes.RenderAsync(Path.Combine(output, "overlays", "dev"));
            Assert.Equal(4, dev.OfType<V1Deployment>().Single(d => d.Name() == "catalog").Spec.Replicas);
            Assert.Equal(4, dev.OfType<V1Deployment>().Single(d => d.Name() == "orders").Spec.Replicas);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private Dictionary<string, V1EnvVar> Environment(string deployment) =>
        generated.Dev.OfType<V1Deployment>().Single(d => d.Name() == deployment).Spec.Template.Spec.Containers.Single().Env.ToDictionary(e => e.Name);

    private static List<string> Callers(V1NetworkPolicy policy) =>
        [.. policy.Spec.Ingress.Single(r => r.Ports.Single().Port.Value != "9464").FromProperty.Select(peer => peer.PodSelector.MatchLabels["app.kubernetes.io/name"])];

    private static void AssertRestricted(V1PodSpec pod)
    {
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
        Assert.False(pod.AutomountServiceAccountToken);
        foreach (var container in pod.Containers)
        {
            Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
            Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
            Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
        }
    }

    [GeneratedRegex(@"(?i)(password|secret|key)=(?<reference>\$\((?<variable>[A-Z0-9_]+)\))?")]
    private static partial Regex SecretInValue();

    [GeneratedRegex(@"^\$\([A-Z0-9_]+\)$")]
    private static partial Regex OnlyReference();

    // host:port in a URL (http://, amqp://user:password@), a Host= list or a Redis connection string.
    [GeneratedRegex(@"(?<=//|@|Host=|,|^)(?<host>[a-z][a-z0-9-]*):(?<port>\d+)\b")]
    private static partial Regex Address();

    [GeneratedRegex(@"(?i)(password|secret|signing|encryption|certificate)")]
    private static partial Regex SecretName();
}

/// <summary>The parts of a KEDA ScaledObject the tests read.</summary>
public sealed class ScaledObject
{
    public string ApiVersion { get; set; } = "";

    public string Kind { get; set; } = "";

    public V1ObjectMeta Metadata { get; set; } = new();

    public ScaledObjectSpec Spec { get; set; } = new();

    public sealed class ScaledObjectSpec
    {
        public Dictionary<string, string> ScaleTargetRef { get; set; } = [];

        public int MinReplicaCount { get; set; }

        public int MaxReplicaCount { get; set; }

        public int CooldownPeriod { get; set; }

        public List<Trigger> Triggers { get; set; } = [];
    }

    public sealed class Trigger
    {
        public string Type { get; set; } = "";

        public Dictionary<string, string> Metadata { get; set; } = [];
    }
}

/// <summary>The parts of a CloudNativePG Cluster the tests read.</summary>
public sealed class PostgresCluster
{
    public string ApiVersion { get; set; } = "";

    public string Kind { get; set; } = "";

    public V1ObjectMeta Metadata { get; set; } = new();

    public ClusterSpec Spec { get; set; } = new();

    public sealed class ClusterSpec
    {
        public int Instances { get; set; }

        public Dictionary<string, string> Storage { get; set; } = [];

        public ManagedSpec Managed { get; set; } = new();
    }

    public sealed class ManagedSpec
    {
        public List<Role> Roles { get; set; } = [];
    }

    public sealed class Role
    {
        public string Name { get; set; } = "";

        public string Ensure { get; set; } = "";

        public bool Login { get; set; }

        public Dictionary<string, string> PasswordSecret { get; set; } = [];
    }
}

/// <summary>The parts of a CloudNativePG Database the tests read.</summary>
public sealed class PostgresDatabase
{
    public string ApiVersion { get; set; } = "";

    public string Kind { get; set; } = "";

    public V1ObjectMeta Metadata { get; set; } = new();

    public DatabaseSpec Spec { get; set; } = new();

    public sealed class DatabaseSpec
    {
        public string Name { get; set; } = "";

        public string Owner { get; set; } = "";

        public Dictionary<string, string> Cluster { get; set; } = [];
    }
}

/// <summary>An object of an operator's own kind (RabbitMQ's, the Prometheus Operator's), its spec as the YAML has it.</summary>
public sealed class OperatorObject
{
    public string ApiVersion { get; set; } = "";

    public string Kind { get; set; } = "";

    public V1ObjectMeta Metadata { get; set; } = new();

    public Dictionary<string, object> Spec { get; set; } = [];
}
