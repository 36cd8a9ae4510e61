namespace Platform.AppHost.Infrastructure.Postgres;

/// <summary>What the Postgres cluster is in either mode, containers or local processes.</summary>
internal static class PostgresDefaults
{
    /// <summary>The superuser: the stock image's, and the one initdb creates locally.</summary>
    public const string SuperUser = "postgres";

    /// <summary>The role replicas stream (and clone) with: replication rights only, no superuser, no database.</summary>
    public const string ReplicationUser = "replicator";

    /// <summary>Generous enough for every replica to stream and base-back up (two senders each) at once.</summary>
    public const int MaxWalSenders = 20;

    /// <summary>WAL the primary keeps regardless of slots, so that a replica being cloned finds where its backup began.</summary>
    public const string WalKeepSize = "128MB";
}
