namespace Platform.AppHost.Infrastructure.Redis;

/// <summary>
/// A password-protected Redis server run from the machine's <c>redis-server</c>, persisting to
/// its data folder (append-only file). Its connection string has the container resource's shape.
/// </summary>
public sealed class LocalRedisResource(string name, string command, string dataDirectory, ParameterResource password)
    : ExecutableResource(name, command, dataDirectory), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";

    private EndpointReference? _primaryEndpoint;

    /// <summary>The server's TCP endpoint (loopback only).</summary>
    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    /// <summary>The password every client must present (<c>requirepass</c>).</summary>
    public ParameterResource PasswordParameter { get; } = password;

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{PrimaryEndpoint.Property(EndpointProperty.IPV4Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)},password={PasswordParameter}");
}
