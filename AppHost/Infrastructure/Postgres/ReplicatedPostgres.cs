namespace Platform.AppHost.Infrastructure.Postgres;

/// <summary>
/// One Postgres cluster for the whole platform: a primary and its streaming read replicas, as
/// containers or local processes. Each database gets two connection strings:
/// <c>{name}</c> for the primary (commands) and <c>{name}-readonly</c> for queries, which spreads
/// connections over the replicas and falls back to the primary when none is available.
/// </summary>
public sealed class ReplicatedPostgres
{
    private readonly IDistributedApplicationBuilder _builder;
    private readonly Func<string, IResourceBuilder<IResourceWithConnectionString>> _addPrimaryDatabase;
    private readonly EndpointReference _primaryEndpoint;
    private readonly ParameterResource _password;
    private readonly EndpointProperty _hostProperty;

    internal ReplicatedPostgres(IDistributedApplicationBuilder builder,
        Func<string, IResourceBuilder<IResourceWithConnectionString>> addPrimaryDatabase,
        EndpointReference primaryEndpoint, IEnumerable<EndpointReference> replicaEndpoints,
        ParameterResource password, EndpointProperty hostProperty)
    {
        _builder = builder;
        _addPrimaryDatabase = addPrimaryDatabase;
        _primaryEndpoint = primaryEndpoint;
        ReplicaEndpoints = [.. replicaEndpoints];
        _password = password;
        _hostProperty = hostProperty;
    }

    private IReadOnlyList<EndpointReference> ReplicaEndpoints { get; }

    /// <summary>Adds a database: <c>{name}</c> on the primary and <c>{name}-readonly</c> over the replicas.</summary>
    public ReplicatedPostgresDatabase AddDatabase([ResourceName] string name)
    {
        var primary = _addPrimaryDatabase(name);
        var readOnly = _builder.AddConnectionString($"{name}-readonly", ReadOnlyConnectionString(name));
        return new ReplicatedPostgresDatabase(primary, readOnly);
    }

    // Npgsql multi-host: replicas first, the primary last as the fallback; prefer-standby picks a
    // replica whenever one is up and load-balances across them.
    private ReferenceExpression ReadOnlyConnectionString(string database)
    {
        var expression = new ReferenceExpressionBuilder();
        expression.AppendLiteral("Host=");
        var hosts = ReplicaEndpoints.Append(_primaryEndpoint).ToArray();
        for (var i = 0; i < hosts.Length; i++)
        {
            if (i > 0)
            {
                expression.AppendLiteral(",");
            }

            expression.AppendFormatted(hosts[i].Property(_hostProperty));
            expression.AppendLiteral(":");
            expression.AppendFormatted(hosts[i].Property(EndpointProperty.Port));
        }

        expression.AppendLiteral($";Username={PostgresDefaults.SuperUser};Password=");
        expression.AppendFormatted(_password);
        expression.AppendLiteral($";Database={database};Target Session Attributes=prefer-standby;Load Balance Hosts=true");
        return expression.Build();
    }
}

/// <summary>A database's two connection strings: the primary for commands, the replicas for queries.</summary>
public sealed record ReplicatedPostgresDatabase(
    IResourceBuilder<IResourceWithConnectionString> Primary,
    IResourceBuilder<IResourceWithConnectionString> ReadOnly);
