using Platform.AppHost.Infrastructure.Local;

namespace Platform.AppHost.Infrastructure.Postgres;

/// <summary>
/// A PostgreSQL server run from the machine's own binaries: the primary, or a streaming read
/// replica of it (<see cref="Primary"/> set). Its connection string has the same shape as the
/// container resource's, so referencing services cannot tell them apart.
/// </summary>
public sealed class LocalPostgresServerResource : ExecutableResource, IResourceWithConnectionString
{
    internal const string EndpointName = "tcp";

    private EndpointReference? _endpoint;

    internal LocalPostgresServerResource(string name, string command, string workingDirectory, PostgresBinaries binaries,
        ServiceAccount account, string dataDirectory, ParameterResource password, LocalPostgresServerResource? primary)
        : base(name, command, workingDirectory)
    {
        Binaries = binaries;
        Account = account;
        DataDirectory = dataDirectory;
        PasswordParameter = password;
        Primary = primary;
    }

    /// <summary>The server's TCP endpoint (loopback only).</summary>
    public EndpointReference Endpoint => _endpoint ??= new(this, EndpointName);

    /// <summary>The superuser password.</summary>
    public ParameterResource PasswordParameter { get; }

    /// <summary>The replication role's password (a primary's; a replica streams with its primary's).</summary>
    public ParameterResource? ReplicationPasswordParameter { get; internal set; }

    /// <summary>The primary this server streams from, or null for the primary itself.</summary>
    public LocalPostgresServerResource? Primary { get; }

    /// <summary>The PGDATA folder.</summary>
    public string DataDirectory { get; }

    /// <summary>The replication slot a replica holds on its primary.</summary>
    internal string SlotName => Name.Replace('-', '_').ToLowerInvariant();

    /// <summary>The password file (one line, for the replication role) that replicas use to reach the primary.</summary>
    internal string PassFile => Path.Combine(Path.GetDirectoryName(DataDirectory)!, "pgpass");

    /// <summary>A connection-string value quoted for libpq (conninfo), so paths with spaces survive.</summary>
    internal static string Quote(string value) => $"'{value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("'", @"\'", StringComparison.Ordinal)}'";

    internal PostgresBinaries Binaries { get; }

    internal ServiceAccount Account { get; }

    /// <summary>Databases created on this server when it becomes ready: resource name → database name.</summary>
    internal Dictionary<string, string> Databases { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={Endpoint.Property(EndpointProperty.IPV4Host)};Port={Endpoint.Property(EndpointProperty.Port)};Username={PostgresDefaults.SuperUser};Password={PasswordParameter}");
}
