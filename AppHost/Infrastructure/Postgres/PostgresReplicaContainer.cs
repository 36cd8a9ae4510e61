namespace Platform.AppHost.Infrastructure.Postgres;

/// <summary>
/// Streaming read replicas as containers of the same image as the primary: on first start a
/// replica base-backs up from the primary (holding a replication slot) and then runs as a hot standby.
/// </summary>
public static class PostgresReplicaContainer
{
    // The image's initdb only allows ordinary connections from other hosts; replicas connect for replication.
    private const string AllowReplication = """
        #!/bin/bash
        echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
        """;

    // Runs inside the replica container before the image's own entrypoint.
    private const string CloneThenRun = """
        set -e
        if [ ! -s "$PGDATA/PG_VERSION" ]; then
          mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
          # The AppHost creates the replication role once the primary is ready.
          until psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$REPLICATION_USER" -d postgres -w -q -c "SELECT 1" >/dev/null 2>&1; do sleep 1; done
          psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$REPLICATION_USER" -d postgres -w -q -c \
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$SLOT' AND NOT active"
          gosu postgres pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$REPLICATION_USER" -w -D "$PGDATA" \
            -X stream -C -S "$SLOT" -c fast -R
        fi
        exec docker-entrypoint.sh postgres -c hot_standby=on -c cluster_name="$SLOT" \
          -c max_wal_senders=$MAX_WAL_SENDERS -c max_replication_slots=$MAX_WAL_SENDERS
        """;

    /// <summary>
    /// Lets replicas connect to the primary container for replication, as the replication role (created, or given
    /// <paramref name="replicationPassword"/> again, whenever the primary is ready).
    /// </summary>
    public static IResourceBuilder<PostgresServerResource> WithStreamingReplication(this IResourceBuilder<PostgresServerResource> primary,
        IResourceBuilder<ParameterResource> replicationPassword)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(replicationPassword);
        primary.OnResourceReady(async (server, _, ct) => await PostgresLogins.EnsureReplicationRoleAsync(
            await server.ConnectionStringExpression.GetValueAsync(ct) ?? "", await replicationPassword.Resource.GetValueAsync(ct) ?? "", ct));
        var senders = PostgresDefaults.MaxWalSenders.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return primary
            .WithArgs("-c", $"max_wal_senders={senders}", "-c", $"max_replication_slots={senders}", "-c", $"wal_keep_size={PostgresDefaults.WalKeepSize}")
            .WithContainerFiles("/docker-entrypoint-initdb.d",
                [new ContainerFile { Name = "10-allow-replication.sh", Contents = AllowReplication }]);
    }

    /// <summary>Adds a hot-standby replica container that streams from <paramref name="primary"/>.</summary>
    /// <param name="primary">The primary container.</param>
    /// <param name="name">The replica's resource name.</param>
    /// <param name="replicationPassword">The replication role's password (see <see cref="WithStreamingReplication"/>).</param>
    /// <param name="volumeName">The data volume's name; generated from the resource name when null.</param>
    public static IResourceBuilder<PostgresReplicaContainerResource> AddReplicaContainer(this IResourceBuilder<PostgresServerResource> primary,
        [ResourceName] string name, IResourceBuilder<ParameterResource> replicationPassword, string? volumeName = null)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(replicationPassword);
        var image = primary.Resource.Annotations.OfType<ContainerImageAnnotation>().Single();
        var source = primary.Resource.PrimaryEndpoint;

        var replica = new PostgresReplicaContainerResource(name, primary.Resource);

        var builder = primary.ApplicationBuilder.AddResource(replica);
        return builder
            .WithImage(image.Image, image.Tag)
            .WithImageRegistry(image.Registry)
            .WithEndpoint(targetPort: 5432, name: PostgresReplicaContainerResource.EndpointName, scheme: "tcp")
            .WithVolume(volumeName ?? VolumeNameGenerator.Generate(builder, "data"), "/var/lib/postgresql")
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["PGDATA"] = "/var/lib/postgresql/replica";
                context.EnvironmentVariables["PRIMARY_HOST"] = source.Property(EndpointProperty.Host);
                context.EnvironmentVariables["PRIMARY_PORT"] = source.Property(EndpointProperty.TargetPort);
                context.EnvironmentVariables["REPLICATION_USER"] = PostgresDefaults.ReplicationUser;
                context.EnvironmentVariables["PGPASSWORD"] = replicationPassword.Resource; // never the superuser's
                context.EnvironmentVariables["SLOT"] = name.Replace('-', '_');
                context.EnvironmentVariables["MAX_WAL_SENDERS"] = PostgresDefaults.MaxWalSenders.ToString(System.Globalization.CultureInfo.InvariantCulture);
            })
            .WithEntrypoint("bash")
            .WithArgs("-c", CloneThenRun)
            .WaitFor(primary)
            .WithParentRelationship(primary)
            .WithNpgsqlHealthCheck("Database=postgres")
            .WithIconName("DatabaseStack");
    }
}
