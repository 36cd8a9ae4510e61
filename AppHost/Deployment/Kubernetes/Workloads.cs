using k8s.Models;

namespace Platform.AppHost.Deployment.Kubernetes;

/// <summary>The Kubernetes objects of the app model's .NET projects, and the pieces every pod shares.</summary>
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
    /// liveness <c>/alive</c> and a start-up allowance when it serves HTTP. A service whose database has a migration step
    /// (a <see cref="Job"/>, its own or the owner's: <paramref name="waitsForMigrations"/>) starts only once the database
    /// has every migration its image knows: an init container runs the image with <c>wait-for-migrations</c>. Every pod
    /// serves its metrics on <see cref="Monitoring.MetricsPort"/>; a worker's liveness is that port answering.
    /// </summary>
    public static V1Deployment Deployment(string name, int replicas, List<V1EnvVar> environment, IList<string> arguments, bool servesHttp,
        bool waitsForMigrations) => new()
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
                Spec = Pod(Container(name, environment, arguments, servesHttp, exportsMetrics: true), restartPolicy: null,
                    initContainer: waitsForMigrations ? Container(name, environment, ["wait-for-migrations"], servesHttp: false, containerName: "wait-for-migrations") : null),
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

    /// <summary>The pods of <paramref name="name"/> under its name, on their one port.</summary>
    public static V1Service Service(string name, string portName = "http", int port = HttpPort) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
        Spec = new V1ServiceSpec { Selector = Labels(name), Ports = [new V1ServicePort { Name = portName, Port = port, TargetPort = port }] },
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

    /// <summary>A pod of one container, as <paramref name="user"/> (never root), with the runtime's seccomp profile and no service-account token.</summary>
    public static V1PodSpec RestrictedPod(V1Container container, long user, long? fileSystemGroup = null, string? restartPolicy = null) => new()
    {
        AutomountServiceAccountToken = false,
        RestartPolicy = restartPolicy,
        SecurityContext = new V1PodSecurityContext
        {
            RunAsNonRoot = true,
            RunAsUser = user,
            RunAsGroup = user,
            FsGroup = fileSystemGroup,
            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
        },
        Containers = [container],
    };

    /// <summary>No privilege escalation, no capabilities, a read-only root file system.</summary>
    public static V1SecurityContext RestrictedContainer() => new()
    {
        AllowPrivilegeEscalation = false,
        ReadOnlyRootFilesystem = true,
        Capabilities = new V1Capabilities { Drop = ["ALL"] },
    };

    /// <summary>What a container is guaranteed (CPU, memory) and the memory it may not exceed.</summary>
    public static V1ResourceRequirements Resources(string cpu, string memory, string memoryLimit) => new()
    {
        Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new(memory) },
        Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new(memoryLimit) },
    };

    private static V1PodSpec Pod(V1Container container, string? restartPolicy, V1Container? initContainer = null)
    {
        var pod = RestrictedPod(container, AppUser, restartPolicy: restartPolicy);
        pod.InitContainers = initContainer is null ? null : [initContainer];
        pod.Volumes = [new V1Volume { Name = "tmp", EmptyDir = new V1EmptyDirVolumeSource() }];
        return pod;
    }

    private static V1Container Container(string name, List<V1EnvVar> environment, IList<string> arguments, bool servesHttp, string? image = null,
        string? containerName = null, bool exportsMetrics = false)
    {
        IEnumerable<V1EnvVar> metrics = exportsMetrics
            ? [new() { Name = "Metrics__Port", Value = $"{Monitoring.MetricsPort}" }, new() { Name = "Metrics__Host", Value = "+" }] // every interface of the pod
            : [];
        var container = new V1Container
        {
            Name = containerName ?? name,
            Image = image ?? name,
            Args = arguments.Count > 0 ? [.. arguments] : null,
            Env = [.. Telemetry(name), .. metrics, .. environment],
            SecurityContext = RestrictedContainer(),
            Resources = Resources("100m", "192Mi", "512Mi"),
            VolumeMounts = [new V1VolumeMount { Name = "tmp", MountPath = "/tmp" }],
        };
        List<V1ContainerPort> ports = exportsMetrics ? [new V1ContainerPort { Name = "metrics", ContainerPort = Monitoring.MetricsPort }] : [];
        if (servesHttp)
        {
            ports.Insert(0, new V1ContainerPort { Name = "http", ContainerPort = HttpPort });
            container.ReadinessProbe = Probe("/health", periodSeconds: 5, failureThreshold: 3);
            container.LivenessProbe = Probe("/alive", periodSeconds: 10, failureThreshold: 3);
            container.StartupProbe = Probe("/alive", periodSeconds: 2, failureThreshold: 60);
        }
        else if (exportsMetrics)
        {
            // A worker serves no HTTP of its own; its metrics listener answering shows the process is alive.
            container.LivenessProbe = new V1Probe
            {
                TcpSocket = new V1TCPSocketAction { Port = "metrics" },
                InitialDelaySeconds = 10,
                PeriodSeconds = 10,
                FailureThreshold = 3,
                TimeoutSeconds = 3,
            };
        }

        container.Ports = ports.Count > 0 ? ports : null;
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
