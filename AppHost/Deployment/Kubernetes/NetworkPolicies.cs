using k8s.Models;
using static Platform.AppHost.Deployment.Kubernetes.Workloads;

namespace Platform.AppHost.Deployment.Kubernetes;

/// <summary>Who may open a connection to what: every pod of the output is selected by one policy, which lists its clients.</summary>
internal static class NetworkPolicies
{
    /// <summary>
    /// A service's pods: a front door accepts anyone (through the ingress), any other service only the services that refer
    /// to it in the app model, a worker nobody (it serves nothing); Prometheus (namespace <see cref="Monitoring.Namespace"/>)
    /// scrapes every one on its metrics port.
    /// </summary>
    public static V1NetworkPolicy ForService(string name, bool frontDoor, IReadOnlyList<string> callers, bool servesHttp) =>
        Policy(name, Labels(name),
        [
            .. servesHttp ? [new V1NetworkPolicyIngressRule { FromProperty = frontDoor ? null : Pods(callers), Ports = Port(HttpPort) }] : Array.Empty<V1NetworkPolicyIngressRule>(),
            new() { FromProperty = [Namespace(Monitoring.Namespace)], Ports = Port(Monitoring.MetricsPort) },
        ]);

    /// <summary>A data store from its image: only the services that use it, on its port.</summary>
    public static V1NetworkPolicy ForStore(string name, int port, IEnumerable<string> clients) =>
        Policy(name, Labels(name), [new() { FromProperty = Pods(clients), Ports = Port(port) }]);

    /// <summary>
    /// A CloudNativePG cluster's pods: its clients on 5432, each other (replication), and the operator (namespace
    /// <c>cnpg-system</c>) on their status port.
    /// </summary>
    public static V1NetworkPolicy ForPostgres(string name, IEnumerable<string> clients)
    {
        var cluster = new Dictionary<string, string> { ["cnpg.io/cluster"] = name };
        return Policy(name, cluster,
        [
            new() { FromProperty = Pods(clients), Ports = Port(5432) },
            new() { FromProperty = [Pods(cluster)] },
            new() { FromProperty = [Namespace("cnpg-system")], Ports = Port(8000) },
        ]);
    }

    /// <summary>
    /// A RabbitMQ cluster's pods: its clients and KEDA (namespace <c>keda</c>, reading queue lengths) on AMQP, each other
    /// (clustering), the operators (namespace <c>rabbitmq-system</c>) on the management API, and Prometheus on its metrics.
    /// </summary>
    public static V1NetworkPolicy ForBroker(string name, IEnumerable<string> clients) => Policy(name, Labels(name),
    [
        new() { FromProperty = [.. Pods(clients), Namespace("keda")], Ports = Port(5672) },
        new() { FromProperty = [Pods(Labels(name))] },
        new() { FromProperty = [Namespace("rabbitmq-system")], Ports = Port(15672) },
        new() { FromProperty = [Namespace(Monitoring.Namespace)], Ports = Port(Monitoring.BrokerMetricsPort) },
    ]);

    private static V1NetworkPolicy Policy(string name, IDictionary<string, string> pods, List<V1NetworkPolicyIngressRule> rules) => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
        Spec = new V1NetworkPolicySpec { PodSelector = new V1LabelSelector { MatchLabels = pods }, PolicyTypes = ["Ingress"], Ingress = rules },
    };

    private static V1NetworkPolicyPeer Pods(IDictionary<string, string> labels) => new() { PodSelector = new V1LabelSelector { MatchLabels = labels } };

    private static List<V1NetworkPolicyPeer> Pods(IEnumerable<string> names) => [.. names.Select(name => Pods(Labels(name)))];

    private static V1NetworkPolicyPeer Namespace(string name) =>
        new() { NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = name } } };

    private static List<V1NetworkPolicyPort> Port(int port) => [new V1NetworkPolicyPort { Port = port, Protocol = "TCP" }];
}
