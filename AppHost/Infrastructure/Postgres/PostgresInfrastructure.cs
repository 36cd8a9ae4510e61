using Platform.AppHost.Infrastructure.Local;

namespace Platform.AppHost.Infrastructure.Postgres;

/// <summary>Adds the platform's Postgres cluster in the infrastructure's mode.</summary>
public static class PostgresInfrastructure
{
    /// <summary>
    /// Adds a primary named <paramref name="name"/> and <see cref="SharedInfrastructure.PostgresReadReplicas"/>
    /// streaming replicas named <c>{name}-replica1..N</c>; the superuser password is the
    /// <c>{name}-password</c> parameter, the replication role's <c>{name}-streaming-password</c>.
    /// </summary>
    public static ReplicatedPostgres AddPostgres(this SharedInfrastructure infrastructure, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(infrastructure);
        var password = infrastructure.AddPassword($"{name}-password");
        var replicationPassword = infrastructure.AddPassword($"{name}-streaming-password");
        var replicaNames = Enumerable.Range(1, infrastructure.PostgresReadReplicas).Select(i => $"{name}-replica{i}").ToArray();

        if (infrastructure.Mode == InfrastructureMode.Containers)
        {
            return AddContainers(infrastructure, name, password, replicationPassword, replicaNames);
        }

        return OperatingSystem.IsWindows()
            ? throw SharedInfrastructure.LocalModeUnsupported()
            : AddLocal(infrastructure, name, password, replicationPassword, replicaNames);
    }

    private static ReplicatedPostgres AddContainers(SharedInfrastructure infrastructure, string name,
        IResourceBuilder<ParameterResource> password, IResourceBuilder<ParameterResource> replicationPassword, string[] replicaNames)
    {
        var builder = infrastructure.Builder;
        var primary = builder.AddPostgres(name, password: password)
            .WithDataVolume(infrastructure.DataVolumeName(name))
            .WithStreamingReplication(replicationPassword);
        var replicas = replicaNames
            .Select(replicaName => primary.AddReplicaContainer(replicaName, replicationPassword, infrastructure.DataVolumeName(replicaName)))
            .ToArray();

        return new ReplicatedPostgres(builder,
            database => primary.AddDatabase(database), parameter => infrastructure.AddPassword(parameter), infrastructure.AddPostgres,
            primary.Resource.PrimaryEndpoint, replicas.Select(r => r.Resource.Endpoint),
            password.Resource, EndpointProperty.Host);
    }

    [UnsupportedOn("windows")]
    private static ReplicatedPostgres AddLocal(SharedInfrastructure infrastructure, string name,
        IResourceBuilder<ParameterResource> password, IResourceBuilder<ParameterResource> replicationPassword, string[] replicaNames)
    {
        var builder = infrastructure.Builder;
        var primary = builder.AddLocalPostgres(name, password, replicationPassword, DataRoot(infrastructure),
            builder.Configuration["Infrastructure:PostgresBinDirectory"]);
        var replicas = replicaNames.Select(primary.AddReadReplica).ToArray();

        return new ReplicatedPostgres(builder,
            database => primary.AddDatabase(database), parameter => infrastructure.AddPassword(parameter), infrastructure.AddPostgres,
            primary.Resource.Endpoint, replicas.Select(r => r.Resource.Endpoint),
            password.Resource, EndpointProperty.IPV4Host);
    }

    /// <summary>
    /// The state folder, unless the server must run as the postgres user and cannot reach it
    /// (a checkout under /root, say): then a folder under /var/lib/platform (root's own, so no other
    /// account can plant links there), named by the state folder's key.
    /// </summary>
    [UnsupportedOn("windows")]
    private static string DataRoot(SharedInfrastructure infrastructure)
    {
        var inState = Path.Combine(infrastructure.StateDirectory, "postgres");
        var account = ServiceAccount.For("postgres", PostgresBinaries.DebianPackage);
        if (account.CanTraverse(inState))
        {
            return inState;
        }

        Directory.CreateDirectory("/var/lib/platform");
        File.SetUnixFileMode("/var/lib/platform", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return Path.Combine("/var/lib/platform", $"postgres-{infrastructure.StateKey}");
    }
}
