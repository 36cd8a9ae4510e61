using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.AppHost.Infrastructure.Postgres;

/// <summary>
/// A Postgres cluster — the platform's, or in a deployment a shard's own (<see cref="AddShards"/>): a primary and its
/// streaming read replicas, as containers or local processes. A database has superuser connection strings (<c>{name}</c> on the
/// primary, <c>{name}-readonly</c> over the replicas: for tooling and tests, never for a service) and
/// a login per service that uses it (<see cref="ReplicatedPostgresDatabase.Owner"/>,
/// <see cref="ReplicatedPostgresDatabase.Login"/>), with the same two connection strings each.
/// </summary>
public sealed class ReplicatedPostgres
{
    private readonly IDistributedApplicationBuilder _builder;
    private readonly Func<string, IResourceBuilder<IResourceWithConnectionString>> _addPrimaryDatabase;
    private readonly Func<string, IResourceBuilder<ParameterResource>> _addPassword;
    private readonly Func<string, ReplicatedPostgres> _addCluster;
    private readonly EndpointReference _primaryEndpoint;
    private readonly ParameterResource _password;
    private readonly EndpointProperty _hostProperty;
    private readonly Dictionary<string, IResourceBuilder<ParameterResource>> _passwords = [];

    internal ReplicatedPostgres(IDistributedApplicationBuilder builder,
        Func<string, IResourceBuilder<IResourceWithConnectionString>> addPrimaryDatabase,
        Func<string, IResourceBuilder<ParameterResource>> addPassword,
        Func<string, ReplicatedPostgres> addCluster,
        EndpointReference primaryEndpoint, IEnumerable<EndpointReference> replicaEndpoints,
        ParameterResource password, EndpointProperty hostProperty)
    {
        _builder = builder;
        _addPrimaryDatabase = addPrimaryDatabase;
        _addPassword = addPassword;
        _addCluster = addCluster;
        _primaryEndpoint = primaryEndpoint;
        ReplicaEndpoints = [.. replicaEndpoints];
        _password = password;
        _hostProperty = hostProperty;
        primaryEndpoint.Resource.Annotations.Add(new ClusterAnnotation(this)); // what a deployment of the cluster needs to know
    }

    /// <summary>The databases of the cluster, in the order they were added.</summary>
    internal List<ReplicatedPostgresDatabase> Databases { get; } = [];

    /// <summary>The number of streaming read replicas.</summary>
    internal int ReplicaCount => ReplicaEndpoints.Count;

    /// <summary>The primary's resource, and the replicas' (each with its superuser connection string).</summary>
    internal IResource PrimaryResource => _primaryEndpoint.Resource;

    internal IEnumerable<IResourceWithConnectionString> Replicas => ReplicaEndpoints.Select(e => e.Resource).OfType<IResourceWithConnectionString>();

    internal IDistributedApplicationBuilder Builder => _builder;

    /// <summary>The login roles of the services and their password parameters (one per role, on every database).</summary>
    internal IReadOnlyDictionary<string, ParameterResource> LoginPasswords => _passwords.ToDictionary(p => p.Key, p => p.Value.Resource);

    /// <summary>Marks the primary with the cluster it heads.</summary>
    internal sealed record ClusterAnnotation(ReplicatedPostgres Cluster) : IResourceAnnotation;

    private IReadOnlyList<EndpointReference> ReplicaEndpoints { get; }

    /// <summary>Adds a database: <c>{name}</c> on the primary and <c>{name}-readonly</c> over the replicas (superuser).</summary>
    public ReplicatedPostgresDatabase AddDatabase([ResourceName] string name)
    {
        var primary = _addPrimaryDatabase(name);
        var readOnly = _builder.AddConnectionString($"{name}-readonly", ConnectionString(name, [.. ReplicaEndpoints, _primaryEndpoint],
            PostgresDefaults.SuperUser, _password, readOnly: true));
        var database = new ReplicatedPostgresDatabase(this, name, primary, readOnly);
        Databases.Add(database);
        _builder.Eventing.Subscribe<ResourceReadyEvent>(primary.Resource, (evt, ct) => database.ApplyLoginsAsync(evt.Services, ct));
        return database;
    }

    /// <summary>
    /// Adds <paramref name="count"/> databases that together hold one service's data, split by bucket: <c>{name}</c>,
    /// <c>{name}2</c>, … (one shard is the service's one database, as an unsharded service has it). A deployment gives
    /// every shard after the first a cluster of its own (<c>{cluster}-{name}2</c>, …, with as many replicas): what sharding
    /// is for — the writes, the storage and an outage split over servers. Run mode keeps them on this cluster: each would
    /// be another primary and its replicas on the one machine (docs/sharding.md).
    /// </summary>
    public IReadOnlyList<ReplicatedPostgresDatabase> AddShards([ResourceName] string name, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var ownClusters = _builder.ExecutionContext.IsPublishMode;
        return [.. Enumerable.Range(1, count).Select(i => i == 1
            ? AddDatabase(name)
            : (ownClusters ? _addCluster($"{PrimaryResource.Name}-{name}{i}") : this).AddDatabase($"{name}{i}"))];
    }

    /// <summary>The connection strings of <paramref name="role"/> to <paramref name="database"/>, healthy once it can log in.</summary>
    internal DatabaseLogin AddLogin(string database, string role)
    {
        if (!_passwords.TryGetValue(role, out var password))
        {
            _passwords[role] = password = _addPassword($"{PrimaryResource.Name}-{role}-password"); // one role, one password, on every database of the cluster
        }

        var primary = _builder.AddConnectionString($"{database}-{role}",
            ConnectionString(database, [_primaryEndpoint], role, password.Resource, readOnly: false));
        var readOnly = _builder.AddConnectionString($"{database}-{role}-readonly",
            ConnectionString(database, [.. ReplicaEndpoints, _primaryEndpoint], role, password.Resource, readOnly: true));
        var check = $"{primary.Resource.Name}_login";
        _builder.Services.AddHealthChecks().Add(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckRegistration(
            check, _ => new PostgresLogins.CanConnect(primary.Resource), failureStatus: null, tags: null));
        primary.WithHealthCheck(check);
        return new DatabaseLogin(role, password.Resource, primary, readOnly);
    }

    // Read-only: Npgsql multi-host, replicas first and the primary last as the fallback; prefer-standby picks
    // a replica whenever one is up and load-balances across them.
    private ReferenceExpression ConnectionString(string database, EndpointReference[] hosts, string user, ParameterResource password, bool readOnly)
    {
        var expression = new ReferenceExpressionBuilder();
        expression.AppendLiteral("Host=");
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

        expression.AppendLiteral($";Username={user};Password=");
        expression.AppendFormatted(password);
        expression.AppendLiteral($";Database={database}");
        if (readOnly)
        {
            expression.AppendLiteral(";Target Session Attributes=prefer-standby;Load Balance Hosts=true");
        }

        return expression.Build();
    }
}

/// <summary>
/// A database on the cluster: the superuser's connection strings (<see cref="Primary"/>, <see cref="ReadOnly"/>) and
/// the logins of the services that use it, created (or brought in line with their passwords) whenever it is ready.
/// </summary>
public sealed class ReplicatedPostgresDatabase
{
    private readonly ReplicatedPostgres _cluster;
    private readonly Dictionary<string, DatabaseLogin> _logins = [];
    private string? _owner;

    /// <summary>The cluster the database is on.</summary>
    internal ReplicatedPostgres Cluster => _cluster;

    /// <summary>The role of the service that owns the database, once one does.</summary>
    internal string? OwnerRole => _owner;

    /// <summary>The roles that may connect: the owner's and those of the services given a <see cref="Login"/>.</summary>
    internal IEnumerable<string> LoginRoles => _logins.Keys.Order(StringComparer.Ordinal);

    internal ReplicatedPostgresDatabase(ReplicatedPostgres cluster, string name,
        IResourceBuilder<IResourceWithConnectionString> primary, IResourceBuilder<IResourceWithConnectionString> readOnly)
    {
        _cluster = cluster;
        Name = name;
        Primary = primary;
        ReadOnly = readOnly;
    }

    public string Name { get; }

    /// <summary>The superuser on the primary: for tooling and tests, never for a service.</summary>
    public IResourceBuilder<IResourceWithConnectionString> Primary { get; }

    /// <summary>The superuser over the replicas.</summary>
    public IResourceBuilder<IResourceWithConnectionString> ReadOnly { get; }

    /// <summary>The login of the service that owns the database (its migrations create and own the tables).</summary>
    public DatabaseLogin Owner(string role)
    {
        if (_owner is not null && _owner != role)
        {
            throw new InvalidOperationException($"'{Name}' is owned by '{_owner}' already; a database has one owning service.");
        }

        _owner = role;
        return Login(role);
    }

    /// <summary>A login that may connect; its table rights are what the owner's migrations grant to <paramref name="role"/>.</summary>
    public DatabaseLogin Login(string role)
    {
        if (!_logins.TryGetValue(role, out var login))
        {
            _logins[role] = login = _cluster.AddLogin(Name, role);
        }

        return login;
    }

    internal async Task ApplyLoginsAsync(IServiceProvider services, CancellationToken ct)
    {
        if (_owner is null)
        {
            return;
        }

        var logins = new List<(string, string)>();
        foreach (var login in _logins.Values)
        {
            logins.Add((login.Role, await login.Password.GetValueAsync(ct) ?? ""));
        }

        var superuser = await Primary.Resource.GetConnectionStringAsync(ct) ?? "";
        await PostgresLogins.ApplyAsync(superuser, Name, _owner, logins, ct);
        services.GetRequiredService<ResourceLoggerService>().GetLogger(Primary.Resource)
            .LogInformation("Logins of {Database}: {Roles} (owner {Owner})", Name, string.Join(", ", _logins.Keys), _owner);
    }
}

/// <summary>A service's login to a database: its connection strings to the primary (commands) and the replicas (queries).</summary>
public sealed record DatabaseLogin(
    string Role,
    ParameterResource Password,
    IResourceBuilder<IResourceWithConnectionString> Primary,
    IResourceBuilder<IResourceWithConnectionString> ReadOnly);
