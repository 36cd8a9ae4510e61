using k8s.Models;
using Platform.AppHost.Infrastructure.Postgres;
using Platform.AppHost.Infrastructure.RabbitMQ;
using Platform.Messaging;
using static Platform.AppHost.Deployment.Kubernetes.Workloads;

namespace Platform.AppHost.Deployment.Kubernetes;

/// <summary>The data stores of the app model in the cluster: Postgres and RabbitMQ through their operators, others from their images.</summary>
internal static class DataStores
{
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
                Spec = Workloads.RestrictedPod(
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
                            SecurityContext = Workloads.RestrictedContainer(),
                            Resources = Workloads.Resources("50m", "64Mi", "512Mi"),
                            VolumeMounts = [new V1VolumeMount { Name = "data", MountPath = dataPath }],
                        },
                        user, fileSystemGroup: user),
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

    public const int RedisPort = 6379;

    /// <summary>The CloudNativePG cluster of the app model's replicated Postgres: its databases with an owner, and every login role.</summary>
    public static IEnumerable<object> Postgres(string name, ReplicatedPostgres cluster) =>
        PostgresCluster(name, cluster.ReplicaCount, cluster.LoginPasswords.Keys.Order(StringComparer.Ordinal),
            cluster.Databases.Where(d => d.OwnerRole is not null).Select(d => (d.Name, d.OwnerRole!)));

    /// <summary>The RabbitMQ cluster with the events exchange, its unrouted queue, and the users of the app model.</summary>
    public static IEnumerable<object> Broker(string name, IReadOnlyList<EventBusUser> users)
    {
        var options = new EventBusOptions();
        return BrokerCluster(name, users.Select(u => (u.Name, u.Permissions(options), u.TopicPermissions(options))),
            options.Exchange, EventTopology.UnroutedQueue(options), new Dictionary<string, object>
            {
                ["x-message-ttl"] = (int)EventTopology.UnroutedTimeToLive.TotalMilliseconds,
                ["x-max-length"] = EventTopology.UnroutedMaxLength,
            });
    }

    /// <summary>
    /// Redis as the app model runs it (image, command line with the services' ACL users, passwords from the Secret), as
    /// the image's <c>redis</c> user, its data on a volume, and its Service.
    /// </summary>
    public static async Task<IEnumerable<object>> RedisAsync(RedisResource redis, ValueResolver resolver)
    {
        const long RedisUser = 999;
        var (environment, arguments) = await resolver.ReadAsync(redis);
        var image = redis.Annotations.OfType<ContainerImageAnnotation>().Single();
        return
        [
            StatefulSet(redis.Name, $"{image.Registry}/{image.Image}:{image.Tag}", redis.Entrypoint, [.. arguments],
                await resolver.EnvironmentAsync(environment), RedisPort, "/data", RedisUser, "1Gi"),
            Service(redis.Name, "tcp", RedisPort),
        ];
    }
}
