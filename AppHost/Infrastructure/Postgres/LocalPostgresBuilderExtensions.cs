using Platform.AppHost.Infrastructure.Local;

namespace Platform.AppHost.Infrastructure.Postgres;

/// <summary>Adds PostgreSQL servers that run from the machine's own binaries.</summary>
[UnsupportedOn("windows")]
public static class LocalPostgresBuilderExtensions
{
    /// <summary>
    /// Adds a local PostgreSQL primary whose data lives in <paramref name="dataRoot"/>/<paramref name="name"/>.
    /// The cluster is initialised on first start (scram-sha-256, superuser <c>postgres</c>); replicas stream with the
    /// replication role, whose password is <paramref name="replicationPassword"/>.
    /// </summary>
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, IResourceBuilder<ParameterResource> password, IResourceBuilder<ParameterResource> replicationPassword,
        string dataRoot, string? binDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(replicationPassword);

        var binaries = PostgresBinaries.Find(binDirectory);
        var account = ServiceAccount.For("postgres", PostgresBinaries.DebianPackage);
        var primary = builder.AddServer(name, binaries, account, dataRoot, password.Resource, primary: null);
        primary.Resource.ReplicationPasswordParameter = replicationPassword.Resource;

        primary.OnBeforeResourceStarted((server, _, ct) => PostgresCluster.PreparePrimaryAsync(server, builder.Resources, ct));
        primary.OnResourceReady((server, evt, ct) => PostgresCluster.OnPrimaryReadyAsync(server, builder.Resources, evt.Services, ct));
        return primary;
    }

    /// <summary>
    /// Adds a hot-standby replica that base-backs up from <paramref name="primary"/> on first start and
    /// then streams from it through its own replication slot. Writes to it are refused.
    /// </summary>
    public static IResourceBuilder<LocalPostgresServerResource> AddReadReplica(this IResourceBuilder<LocalPostgresServerResource> primary, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(primary);
        var source = primary.Resource;
        var replica = primary.ApplicationBuilder.AddServer(name, source.Binaries, source.Account,
            Path.GetDirectoryName(source.DataDirectory)!, source.PasswordParameter, source);

        replica.WithArgs(context =>
        {
            var port = source.Endpoint.Property(EndpointProperty.Port);
            context.Args.Add("-c");
            context.Args.Add(ReferenceExpression.Create(
                $"primary_conninfo=host=127.0.0.1 port={port} user={PostgresDefaults.ReplicationUser} passfile={LocalPostgresServerResource.Quote(source.PassFile)} application_name={name}"));
            context.Args.Add("-c");
            context.Args.Add($"primary_slot_name={replica.Resource.SlotName}");
        });
        replica.WaitFor(primary).WithParentRelationship(primary);
        replica.OnBeforeResourceStarted((server, evt, ct) => PostgresCluster.PrepareReplicaAsync(server, evt.Services, ct));
        return replica;
    }

    /// <summary>Adds a database that is created on the server when the server becomes ready.</summary>
    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(this IResourceBuilder<LocalPostgresServerResource> server,
        [ResourceName] string name, string? databaseName = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        databaseName ??= name;
        server.Resource.Databases[name] = databaseName;
        var database = new LocalPostgresDatabaseResource(name, databaseName, server.Resource);
        return server.ApplicationBuilder.AddResource(database)
            .WithStateOfParent(server.Resource)
            .WithNpgsqlHealthCheck()
            .WithIconName("Database");
    }

    private static IResourceBuilder<LocalPostgresServerResource> AddServer(this IDistributedApplicationBuilder builder, string name,
        PostgresBinaries binaries, ServiceAccount account, string dataRoot, ParameterResource password, LocalPostgresServerResource? primary)
    {
        var dataDirectory = Path.Combine(dataRoot, name);
        var (command, accountArgs) = account.Wrap("/bin/sh", "-c", StopFastJoinStderr, binaries.Postgres);
        var server = new LocalPostgresServerResource(name, command, dataRoot, binaries, account, dataDirectory, password, primary);

        return builder.AddResource(server)
            .WithEndpoint(name: LocalPostgresServerResource.EndpointName, scheme: "tcp", isProxied: false)
            .WithArgs(context =>
            {
                foreach (var arg in accountArgs)
                {
                    context.Args.Add(arg);
                }

                context.Args.Add("-D");
                context.Args.Add(dataDirectory);
                context.Args.Add("-p");
                context.Args.Add(server.Endpoint.Property(EndpointProperty.TargetPort));
                foreach (var setting in Settings(name, isPrimary: primary is null))
                {
                    context.Args.Add("-c");
                    context.Args.Add(setting);
                }
            })
            .WithNpgsqlHealthCheck("Database=postgres")
            .WithIconName("DatabaseStack");
    }

    // The orchestrator stops a process with SIGTERM, which Postgres takes as "smart" shutdown: wait
    // until every client (pooled service connections included) has left, until the orchestrator
    // kills it. This wrapper turns SIGTERM into SIGINT ("fast": disconnect clients, checkpoint,
    // exit) and joins stderr, where Postgres logs and which the dashboard shows as errors, to stdout.
    private const string StopFastJoinStderr = """
        trap 'kill -INT "$server" 2>/dev/null' TERM INT
        "$0" "$@" 2>&1 &
        server=$!
        status=0
        while kill -0 "$server" 2>/dev/null; do wait "$server"; status=$?; done
        exit "$status"
        """;

    private static IEnumerable<string> Settings(string name, bool isPrimary)
    {
        yield return "listen_addresses=127.0.0.1";
        yield return "unix_socket_directories="; // TCP only: no socket folder to own or share
        yield return $"cluster_name={name}";
        yield return "hot_standby=on";
        yield return "max_connections=200";
        // A standby needs at least its primary's value, so every server gets the same.
        yield return $"max_wal_senders={PostgresDefaults.MaxWalSenders}";
        yield return $"max_replication_slots={PostgresDefaults.MaxWalSenders}";
        if (isPrimary)
        {
            yield return "wal_level=replica";
            // A replica that is gone for good must not make the primary keep WAL forever.
            yield return "max_slot_wal_keep_size=1GB";
            // pg_basebackup creates a new replica's slot only after the backup has started; until then a
            // checkpoint (databases being created meanwhile) could remove the WAL the clone starts from.
            yield return $"wal_keep_size={PostgresDefaults.WalKeepSize}";
        }
    }
}
