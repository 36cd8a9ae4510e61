namespace Platform.AppHost.Infrastructure.Postgres;

/// <summary>A hot-standby PostgreSQL container streaming from a primary container.</summary>
public sealed class PostgresReplicaContainerResource(string name, PostgresServerResource primary)
    : ContainerResource(name), IResourceWithConnectionString
{
    internal const string EndpointName = "tcp";

    private EndpointReference? _endpoint;

    /// <summary>The replica's TCP endpoint.</summary>
    public EndpointReference Endpoint => _endpoint ??= new(this, EndpointName);

    /// <summary>The primary this replica streams from.</summary>
    public PostgresServerResource Primary { get; } = primary;

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={Endpoint.Property(EndpointProperty.Host)};Port={Endpoint.Property(EndpointProperty.Port)};Username={PostgresDefaults.SuperUser};Password={Primary.PasswordParameter}");
}
