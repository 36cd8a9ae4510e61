using k8s.Models;

namespace Platform.AppHost.Deployment.Kubernetes;

/// <summary>The Kubernetes objects of one .NET project of the app model.</summary>
internal static class Workloads
{
    /// <summary>The port every service listens on inside its container (the .NET images' default).</summary>
    public const int HttpPort = 8080;

    /// <summary>The .NET images' non-root user.</summary>
    private const long AppUser = 1654;

    public static Dictionary<string, string> Labels(string name) => new() { ["app.kubernetes.io/name"] = name };

    /// <summary>
    /// A Deployment: <paramref name="replicas"/> pods of the service's image, restricted (non-root, read-only root file
    /// system with a writable <c>/tmp</c>, no capabilities, the runtime's seccomp profile), with readiness <c>/health</c>,
    /// liveness <c>/alive</c> and a start-up allowance when it serves HTTP.
    /// </summary>
    public static V1Deployment Deployment(string name, int replicas, List<V1EnvVar> environment, IList<string> arguments, bool servesHttp) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = Labels(name) },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = Labels(name) },
                Spec = Pod(Container(name, environment, arguments, servesHttp), restartPolicy: null),
            },
        },
    };

    /// <summary>A migration step: a Job that runs the service's image once with its arguments (<c>migrate</c>).</summary>
    public static V1Job Job(string name, List<V1EnvVar> environment, IList<string> arguments, string image) => new()
    {
        ApiVersion = "batch/v1",
        Kind = "Job",
        Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
        Spec = new V1JobSpec
        {
            BackoffLimit = 6,
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = Labels(name) },
                Spec = Pod(Container(name, environment, arguments, servesHttp: false, image), restartPolicy: "OnFailure"),
            },
        },
    };

    public static V1Service Service(string name) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
        Spec = new V1ServiceSpec
        {
            Selector = Labels(name),
            Ports = [new V1ServicePort { Name = "http", Port = HttpPort, TargetPort = HttpPort }],
        },
    };

    /// <summary>At most one pod of the service down at a time for voluntary disruptions (node drains, upgrades).</summary>
    public static V1PodDisruptionBudget DisruptionBudget(string name) => new()
    {
        ApiVersion = "policy/v1",
        Kind = "PodDisruptionBudget",
        Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
        Spec = new V1PodDisruptionBudgetSpec { MaxUnavailable = 1, Selector = new V1LabelSelector { MatchLabels = Labels(name) } },
    };

    /// <summary>Scales the Deployment on CPU between its replica count and <paramref name="maxReplicas"/>.</summary>
    public static V2HorizontalPodAutoscaler Autoscaler(string name, int minReplicas, int maxReplicas) => new()
    {
        ApiVersion = "autoscaling/v2",
        Kind = "HorizontalPodAutoscaler",
        Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
        Spec = new V2HorizontalPodAutoscalerSpec
        {
            ScaleTargetRef = new V2CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = name },
            MinReplicas = minReplicas,
            MaxReplicas = maxReplicas,
            Metrics =
            [
                new V2MetricSpec
                {
                    Type = "Resource",
                    Resource = new V2ResourceMetricSource { Name = "cpu", Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = 70 } },
                },
            ],
        },
    };

    /// <summary>
    /// KEDA scales a worker on the length of the queue it consumes: no pod while the queue is empty, one more per
    /// <see cref="MessagesPerPod"/> messages waiting, up to <paramref name="maxReplicas"/>. KEDA reads the queue as the
    /// worker's own broker user, from the worker's own connection string.
    /// </summary>
    public static Dictionary<string, object> ScaledObject(string name, string queue, int maxReplicas) => new()
    {
        ["apiVersion"] = "keda.sh/v1alpha1",
        ["kind"] = "ScaledObject",
        ["metadata"] = new Dictionary<string, object> { ["name"] = name, ["labels"] = Labels(name) },
        ["spec"] = new Dictionary<string, object>
        {
            ["scaleTargetRef"] = new Dictionary<string, object> { ["name"] = name },
            ["minReplicaCount"] = 0,
            ["maxReplicaCount"] = maxReplicas,
            ["cooldownPeriod"] = 300,
            ["triggers"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["type"] = "rabbitmq",
                    ["metadata"] = new Dictionary<string, object>
                    {
                        ["protocol"] = "amqp",
                        ["queueName"] = queue,
                        ["mode"] = "QueueLength",
                        ["value"] = MessagesPerPod.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["hostFromEnv"] = "ConnectionStrings__eventbus",
                    },
                },
            },
        },
    };

    public const int MessagesPerPod = 20;

    /// <summary>
    /// A data store run from its image as a StatefulSet of one pod: the image's command line from the app model, its data
    /// on a volume claim of <paramref name="storage"/>, as <paramref name="user"/> (the image's own non-root user), with
    /// the restricted security of the services and TCP probes on its port.
    /// </summary>
    public static V1StatefulSet StatefulSet(string name, string image, string? entrypoint, IList<string> arguments, List<V1EnvVar> environment,
        int port, string dataPath, long user, string storage) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "StatefulSet",
        Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
        Spec = new V1StatefulSetSpec
        {
            ServiceName = name,
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = Labels(name) },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = Labels(name) },
                Spec = new V1PodSpec
                {
                    AutomountServiceAccountToken = false,
                    SecurityContext = new V1PodSecurityContext
                    {
                        RunAsNonRoot = true,
                        RunAsUser = user,
                        RunAsGroup = user,
                        FsGroup = user,
                        SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                    },
                    Containers =
                    [
                        new V1Container
                        {
                            Name = name,
                            Image = image,
                            Command = entrypoint is null ? null : [entrypoint],
                            Args = arguments.Count > 0 ? [.. arguments] : null,
                            Env = environment,
                            Ports = [new V1ContainerPort { Name = "tcp", ContainerPort = port }],
                            ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = "tcp" }, PeriodSeconds = 5 },
                            LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = "tcp" }, PeriodSeconds = 10, FailureThreshold = 6 },
                            SecurityContext = new V1SecurityContext
                            {
                                AllowPrivilegeEscalation = false,
                                ReadOnlyRootFilesystem = true,
                                Capabilities = new V1Capabilities { Drop = ["ALL"] },
                            },
                            Resources = new V1ResourceRequirements
                            {
                                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("50m"), ["memory"] = new("64Mi") },
                                Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("512Mi") },
                            },
                            VolumeMounts = [new V1VolumeMount { Name = "data", MountPath = dataPath }],
                        },
                    ],
                },
            },
            VolumeClaimTemplates =
            [
                new V1PersistentVolumeClaim
                {
                    Metadata = new V1ObjectMeta { Name = "data" },
                    Spec = new V1PersistentVolumeClaimSpec
                    {
                        AccessModes = ["ReadWriteOnce"],
                        Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(storage) } },
                    },
                },
            ],
        },
    };

    /// <summary>The Service of a data store: its one port, under its own name.</summary>
    public static V1Service StoreService(string name, int port) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
        Spec = new V1ServiceSpec { Selector = Labels(name), Ports = [new V1ServicePort { Name = "tcp", Port = port, TargetPort = port }] },
    };

    /// <summary>Only the services that use a data store may connect to it, on its port.</summary>
    public static V1NetworkPolicy StorePolicy(string name, int port, IEnumerable<string> clients) => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
        Spec = new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector { MatchLabels = Labels(name) },
            PolicyTypes = ["Ingress"],
            Ingress =
            [
                new V1NetworkPolicyIngressRule
                {
                    FromProperty = [.. clients.Select(client => new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = Labels(client) } })],
                    Ports = [new V1NetworkPolicyPort { Port = port, Protocol = "TCP" }],
                },
            ],
        },
    };

    /// <summary>
    /// Postgres as a CloudNativePG cluster: one primary and <paramref name="replicas"/> streaming replicas (its services
    /// <c>{name}-rw</c> and <c>{name}-ro</c>), the services' login roles (passwords from their Secrets
    /// <c>{name}-{role}</c>), and a database per service owned by its role.
    /// </summary>
    public static IEnumerable<object> PostgresCluster(string name, int replicas, IEnumerable<string> roles, IEnumerable<(string Database, string Owner)> databases)
    {
        yield return new Dictionary<string, object>
        {
            ["apiVersion"] = "postgresql.cnpg.io/v1",
            ["kind"] = "Cluster",
            ["metadata"] = new Dictionary<string, object> { ["name"] = name, ["labels"] = Labels(name) },
            ["spec"] = new Dictionary<string, object>
            {
                ["instances"] = 1 + replicas,
                ["storage"] = new Dictionary<string, object> { ["size"] = "10Gi" },
                ["managed"] = new Dictionary<string, object>
                {
                    ["roles"] = roles.Select(role => new Dictionary<string, object>
                    {
                        ["name"] = role,
                        ["ensure"] = "present",
                        ["login"] = true,
                        ["passwordSecret"] = new Dictionary<string, object> { ["name"] = $"{name}-{role}" },
                    }).ToArray(),
                },
            },
        };

        foreach (var (database, owner) in databases)
        {
            yield return new Dictionary<string, object>
            {
                ["apiVersion"] = "postgresql.cnpg.io/v1",
                ["kind"] = "Database",
                ["metadata"] = new Dictionary<string, object> { ["name"] = database, ["labels"] = Labels(name) },
                ["spec"] = new Dictionary<string, object>
                {
                    ["name"] = database,
                    ["owner"] = owner,
                    ["cluster"] = new Dictionary<string, object> { ["name"] = name },
                },
            };
        }
    }

    /// <summary>
    /// The cluster's pods accept its clients on 5432, each other (replication), and the CloudNativePG operator
    /// (namespace <c>cnpg-system</c>) on their status port.
    /// </summary>
    public static V1NetworkPolicy PostgresPolicy(string name, IEnumerable<string> clients)
    {
        var cluster = new Dictionary<string, string> { ["cnpg.io/cluster"] = name };
        return new V1NetworkPolicy
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "NetworkPolicy",
            Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector { MatchLabels = cluster },
                PolicyTypes = ["Ingress"],
                Ingress =
                [
                    new V1NetworkPolicyIngressRule
                    {
                        FromProperty = [.. clients.Select(client => new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = Labels(client) } })],
                        Ports = [new V1NetworkPolicyPort { Port = 5432, Protocol = "TCP" }],
                    },
                    new V1NetworkPolicyIngressRule { FromProperty = [new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = cluster } }] },
                    new V1NetworkPolicyIngressRule
                    {
                        FromProperty =
                        [
                            new V1NetworkPolicyPeer
                            {
                                NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "cnpg-system" } },
                            },
                        ],
                        Ports = [new V1NetworkPolicyPort { Port = 8000, Protocol = "TCP" }],
                    },
                ],
            },
        };
    }

    /// <summary>
    /// RabbitMQ as a cluster of the RabbitMQ cluster operator (three nodes: quorum queues keep working with one down),
    /// and through its messaging topology operator what the AppHost declares in run mode: the events exchange with its
    /// unrouted queue, and each service's user (credentials from its Secret <c>{name}-{user}</c>) with its permissions and
    /// topic permissions.
    /// </summary>
    public static IEnumerable<object> BrokerCluster(string name, IEnumerable<(string User, object Permissions, object TopicPermissions)> users,
        string exchange, string unrouted, IReadOnlyDictionary<string, object> unroutedArguments)
    {
        var cluster = new Dictionary<string, object> { ["name"] = name };
        Dictionary<string, object> Topology(string kind, string objectName, Dictionary<string, object> spec)
        {
            spec["rabbitmqClusterReference"] = cluster;
            return new()
            {
                ["apiVersion"] = "rabbitmq.com/v1beta1",
                ["kind"] = kind,
                ["metadata"] = new Dictionary<string, object> { ["name"] = objectName, ["labels"] = Labels(name) },
                ["spec"] = spec,
            };
        }

        yield return new Dictionary<string, object>
        {
            ["apiVersion"] = "rabbitmq.com/v1beta1",
            ["kind"] = "RabbitmqCluster",
            ["metadata"] = new Dictionary<string, object> { ["name"] = name, ["labels"] = Labels(name) },
            ["spec"] = new Dictionary<string, object>
            {
                ["replicas"] = 3,
                ["persistence"] = new Dictionary<string, object> { ["storage"] = "10Gi" },
            },
        };

        var kebab = new Func<string, string>(text => new string([.. text.Select(c => char.IsLetterOrDigit(c) ? c : '-')]));
        yield return Topology("Exchange", kebab(unrouted), new() { ["name"] = unrouted, ["type"] = "fanout", ["durable"] = true });
        yield return Topology("Queue", kebab(unrouted), new() { ["name"] = unrouted, ["type"] = "quorum", ["durable"] = true, ["arguments"] = unroutedArguments });
        yield return Topology("Binding", kebab(unrouted), new() { ["source"] = unrouted, ["destination"] = unrouted, ["destinationType"] = "queue" });
        yield return Topology("Exchange", kebab(exchange), new()
        {
            ["name"] = exchange,
            ["type"] = "topic",
            ["durable"] = true,
            ["arguments"] = new Dictionary<string, object> { ["alternate-exchange"] = unrouted },
        });
        foreach (var (user, permissions, topicPermissions) in users)
        {
            var objectName = $"{name}-{user}";
            yield return Topology("User", objectName, new() { ["importCredentialsSecret"] = new Dictionary<string, object> { ["name"] = objectName } });
            yield return Topology("Permission", objectName, new() { ["vhost"] = "/", ["user"] = user, ["permissions"] = permissions });
            yield return Topology("TopicPermission", objectName, new() { ["vhost"] = "/", ["user"] = user, ["permissions"] = topicPermissions });
        }
    }

    /// <summary>
    /// The broker's pods accept its clients on AMQP, KEDA (namespace <c>keda</c>) reading queue lengths, each other
    /// (clustering), and the operators (namespace <c>rabbitmq-system</c>) on the management API.
    /// </summary>
    public static V1NetworkPolicy BrokerPolicy(string name, IEnumerable<string> clients)
    {
        static V1NetworkPolicyPeer Namespace(string ns) =>
            new() { NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = ns } } };
        return new V1NetworkPolicy
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "NetworkPolicy",
            Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector { MatchLabels = Labels(name) },
                PolicyTypes = ["Ingress"],
                Ingress =
                [
                    new V1NetworkPolicyIngressRule
                    {
                        FromProperty = [.. clients.Select(client => new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = Labels(client) } }), Namespace("keda")],
                        Ports = [new V1NetworkPolicyPort { Port = 5672, Protocol = "TCP" }],
                    },
                    new V1NetworkPolicyIngressRule { FromProperty = [new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = Labels(name) } }] },
                    new V1NetworkPolicyIngressRule { FromProperty = [Namespace("rabbitmq-system")], Ports = [new V1NetworkPolicyPort { Port = 15672, Protocol = "TCP" }] },
                ],
            },
        };
    }

    /// <summary>A front door reached from outside at <paramref name="hosts"/>, over TLS (certificate in the Secret <c>{name}-tls</c>).</summary>
    public static V1Ingress Ingress(string name, IReadOnlyList<string> hosts) => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "Ingress",
        Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
        Spec = new V1IngressSpec
        {
            Tls = [new V1IngressTLS { Hosts = [.. hosts], SecretName = $"{name}-tls" }],
            Rules = [.. hosts.Select(host => new V1IngressRule
            {
                Host = host,
                Http = new V1HTTPIngressRuleValue
                {
                    Paths =
                    [
                        new V1HTTPIngressPath
                        {
                            Path = "/",
                            PathType = "Prefix",
                            Backend = new V1IngressBackend { Service = new V1IngressServiceBackend { Name = name, Port = new V1ServiceBackendPort { Number = HttpPort } } },
                        },
                    ],
                },
            })],
        },
    };

    /// <summary>
    /// Who may open a connection to the service's pods: for a front door anyone (through the ingress), for any other
    /// service only the services that refer to it in the app model, and nobody for a worker (it serves nothing).
    /// </summary>
    public static V1NetworkPolicy NetworkPolicy(string name, bool frontDoor, IReadOnlyList<string> callers, bool servesHttp) => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
        Spec = new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector { MatchLabels = Labels(name) },
            PolicyTypes = ["Ingress"],
            Ingress = !servesHttp ? [] :
            [
                new V1NetworkPolicyIngressRule
                {
                    FromProperty = frontDoor ? null : [.. callers.Select(caller => new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = Labels(caller) } })],
                    Ports = [new V1NetworkPolicyPort { Port = HttpPort, Protocol = "TCP" }],
                },
            ],
        },
    };

    private static V1PodSpec Pod(V1Container container, string? restartPolicy) => new()
    {
        AutomountServiceAccountToken = false,
        RestartPolicy = restartPolicy,
        SecurityContext = new V1PodSecurityContext
        {
            RunAsNonRoot = true,
            RunAsUser = AppUser,
            RunAsGroup = AppUser,
            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
        },
        Containers = [container],
        Volumes = [new V1Volume { Name = "tmp", EmptyDir = new V1EmptyDirVolumeSource() }],
    };

    private static V1Container Container(string name, List<V1EnvVar> environment, IList<string> arguments, bool servesHttp, string? image = null)
    {
        var container = new V1Container
        {
            Name = name,
            Image = image ?? name,
            Args = arguments.Count > 0 ? [.. arguments] : null,
            Env = [.. Telemetry(name), .. environment],
            SecurityContext = new V1SecurityContext
            {
                AllowPrivilegeEscalation = false,
                ReadOnlyRootFilesystem = true,
                Capabilities = new V1Capabilities { Drop = ["ALL"] },
            },
            Resources = new V1ResourceRequirements
            {
                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("192Mi") },
                Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("512Mi") },
            },
            VolumeMounts = [new V1VolumeMount { Name = "tmp", MountPath = "/tmp" }],
        };
        if (servesHttp)
        {
            container.Ports = [new V1ContainerPort { Name = "http", ContainerPort = HttpPort }];
            container.ReadinessProbe = Probe("/health", periodSeconds: 5, failureThreshold: 3);
            container.LivenessProbe = Probe("/alive", periodSeconds: 10, failureThreshold: 3);
            container.StartupProbe = Probe("/alive", periodSeconds: 2, failureThreshold: 60);
        }

        return container;
    }

    private static V1Probe Probe(string path, int periodSeconds, int failureThreshold) => new()
    {
        HttpGet = new V1HTTPGetAction { Path = path, Port = "http" },
        PeriodSeconds = periodSeconds,
        FailureThreshold = failureThreshold,
        TimeoutSeconds = 3,
    };

    /// <summary>
    /// Traces, metrics and logs go to the cluster's OpenTelemetry collector: its address comes from the ConfigMap
    /// <c>telemetry</c> (key <c>otlp-endpoint</c>); each pod reports under the service's name and its own pod name.
    /// </summary>
    private static IEnumerable<V1EnvVar> Telemetry(string name) =>
    [
        new() { Name = "POD_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } } },
        new() { Name = "OTEL_SERVICE_NAME", Value = name },
        new() { Name = "OTEL_RESOURCE_ATTRIBUTES", Value = "service.instance.id=$(POD_NAME)" },
        new()
        {
            Name = "OTEL_EXPORTER_OTLP_ENDPOINT",
            ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "telemetry", Key = "otlp-endpoint" } },
        },
    ];
}
