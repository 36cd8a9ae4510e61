using k8s;
using static Platform.AppHost.Deployment.Kubernetes.Workloads;

namespace Platform.AppHost.Deployment.Kubernetes;

/// <summary>
/// What a Prometheus Operator in the cluster needs to watch the platform: which pods to scrape (every service's own
/// endpoint, the broker's per-queue page) and the alert rules of <c>ops/prometheus/alerts.yml</c> as a
/// <c>PrometheusRule</c> — the same file <c>promtool</c> tests. docs/operations.md explains the choice.
/// </summary>
internal static class Monitoring
{
    /// <summary>Where Prometheus runs: its pods may reach the scrape ports (<see cref="NetworkPolicies"/>).</summary>
    public const string Namespace = "monitoring";

    /// <summary>Every service's scrape port (ServiceDefaults' <c>Metrics:Port</c>), the OpenTelemetry exporter's customary one.</summary>
    public const int MetricsPort = 9464;

    /// <summary>The broker's Prometheus plugin port, as the RabbitMQ cluster operator names it on the pods.</summary>
    public const int BrokerMetricsPort = 15692;

    /// <summary>Every pod of <paramref name="services"/>, on its <c>metrics</c> port; its job is the service's name.</summary>
    public static Dictionary<string, object> ServicesMonitor(IEnumerable<string> services) => PodMonitor("services",
        new Dictionary<string, object>
        {
            ["matchExpressions"] = new[]
            {
                new Dictionary<string, object> { ["key"] = "app.kubernetes.io/name", ["operator"] = "In", ["values"] = services.Order(StringComparer.Ordinal).ToArray() },
            },
        },
        port: "metrics", path: "/metrics");

    /// <summary>The broker's pods on their <c>prometheus</c> port, one series per queue (<c>/metrics/per-object</c>), as the rules read it.</summary>
    public static Dictionary<string, object> BrokerMonitor(string broker) => PodMonitor(broker,
        new Dictionary<string, object> { ["matchLabels"] = Labels(broker) }, port: "prometheus", path: "/metrics/per-object");

    /// <summary>The alert rules, embedded from <c>ops/prometheus/alerts.yml</c>: its <c>groups</c> are the spec as they are.</summary>
    public static Dictionary<string, object> AlertRules()
    {
        using var stream = typeof(Monitoring).Assembly.GetManifestResourceStream("alerts.yml")
            ?? throw new InvalidOperationException("The alert rules (alerts.yml) are not embedded in the AppHost.");
        using var reader = new StreamReader(stream);
        return new Dictionary<string, object>
        {
            ["apiVersion"] = "monitoring.coreos.com/v1",
            ["kind"] = "PrometheusRule",
            ["metadata"] = new Dictionary<string, object> { ["name"] = "alerts", ["labels"] = Labels("alerts") },
            ["spec"] = KubernetesYaml.Deserialize<Dictionary<string, object>>(reader.ReadToEnd()),
        };
    }

    private static Dictionary<string, object> PodMonitor(string name, Dictionary<string, object> selector, string port, string path) => new()
    {
        ["apiVersion"] = "monitoring.coreos.com/v1",
        ["kind"] = "PodMonitor",
        ["metadata"] = new Dictionary<string, object> { ["name"] = name, ["labels"] = Labels(name) },
        ["spec"] = new Dictionary<string, object>
        {
            ["jobLabel"] = "app.kubernetes.io/name",
            ["selector"] = selector,
            ["podMetricsEndpoints"] = new[] { new Dictionary<string, object> { ["port"] = port, ["path"] = path, ["interval"] = "30s" } },
        },
    };
}
