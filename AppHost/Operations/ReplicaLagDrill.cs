using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.AppHost.Infrastructure.Postgres;

namespace Platform.AppHost.Operations;

/// <summary>
/// A chaos drill on the dashboard: the read replicas stop replaying the primary's changes for some seconds
/// (<c>pg_wal_replay_pause</c>) and keep serving reads, frozen — what replication lag looks like. Reads with a
/// consistency token still see their own writes (they go to the primary); other reads may be up to
/// <c>ReadReplicas:MaxLag</c> old, then leave the lagging replicas for the primary.
/// </summary>
public static class ReplicaLagDrill
{
    public const string Command = "lag-replicas";

    private const int MaxSeconds = 300;

    /// <summary>Adds <see cref="Command"/> (argument <c>seconds</c>, default 30) to the primary, when it has replicas (run mode only).</summary>
    public static ReplicatedPostgres WithReplicaLagDrill(this ReplicatedPostgres cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (!cluster.Builder.ExecutionContext.IsRunMode || cluster.ReplicaCount == 0)
        {
            return cluster;
        }

        cluster.Builder.CreateResourceBuilder(cluster.PrimaryResource).WithCommand(Command, "Lag replicas (drill)", async context =>
        {
            if (DrillCommands.Seconds(context.Arguments, fallback: 30, MaxSeconds) is not { } seconds)
            {
                return CommandResults.Failure($"The replicas lag 1 to {MaxSeconds} seconds.");
            }

            foreach (var replica in cluster.Replicas)
            {
                await ExecuteAsync(replica, "SELECT pg_wal_replay_pause()", context.CancellationToken);
            }

            var stopping = context.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(async () =>
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(seconds), stopping);
                }
                catch (OperationCanceledException)
                {
                    return; // the platform stops, its replicas with it
                }

                foreach (var replica in cluster.Replicas)
                {
                    try
                    {
                        await ExecuteAsync(replica, "SELECT pg_wal_replay_resume()", CancellationToken.None);
                    }
                    catch (NpgsqlException)
                    {
                        // a replica that went down meanwhile replays from where it is when it starts again
                    }
                }
            }, CancellationToken.None);
            return CommandResults.Success($"The replicas replay nothing for {seconds} s.");
        }, new CommandOptions
        {
            Description = "The read replicas stop replaying the primary's changes for some seconds, then catch up.",
            IconName = "ArrowSyncOff",
            Arguments = [DrillCommands.SecondsInput("Seconds", 30)],
            UpdateState = DrillCommands.WhileRunning,
        });
        return cluster;
    }

    private static async Task ExecuteAsync(IResourceWithConnectionString replica, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection($"{await replica.GetConnectionStringAsync(cancellationToken)};Pooling=false");
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
