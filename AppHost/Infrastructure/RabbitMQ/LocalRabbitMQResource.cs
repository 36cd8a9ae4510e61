namespace Platform.AppHost.Infrastructure.RabbitMQ;

/// <summary>
/// A RabbitMQ node run from the machine's <c>rabbitmq-server</c>, with its own Erlang port mapper
/// (<c>{name}-epmd</c>, a resource of its own so that it stops with the app), the management plugin and the
/// Prometheus plugin (<see cref="BrokerMetrics"/>). Its connection string has the container
/// resource's shape (<c>amqp://user:password@host:port</c>).
/// </summary>
public sealed class LocalRabbitMQResource(string name, string command, string dataDirectory, ParameterResource password)
    : ExecutableResource(name, command, dataDirectory), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";
    internal const string ManagementEndpointName = "management";
    internal const string MetricsEndpointName = BrokerMetrics.EndpointName;
    internal const string DistributionEndpointName = "distribution";
    internal const string UserName = "guest";

    private EndpointReference? _primaryEndpoint;

    /// <summary>The AMQP endpoint (loopback only).</summary>
    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    /// <summary>The password of the default user.</summary>
    public ParameterResource PasswordParameter { get; } = password;

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"amqp://{UserName}:{PasswordParameter}@{PrimaryEndpoint.Property(EndpointProperty.IPV4Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}");
}
