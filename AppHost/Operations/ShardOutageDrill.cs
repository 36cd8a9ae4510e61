using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.AppHost.Infrastructure.Postgres;

namespace Platform.AppHost.Operations;

/// <summary>
/// A chaos drill on the dashboard, on each shard's database: for some seconds the shard is away — its database refuses
/// new connections (on the primary and, replicated, on the replicas) and its open ones are ended — as when a shard's own
/// server goes down (here the shards share one cluster). Its customers get 503 with <c>Retry-After</c>; the other shards'
/// customers are served; the sharded service says it is degraded.
/// </summary>
public static class ShardOutageDrill
{
    public const string Command = "take-offline";

    private const int MaxSeconds = 300;

    /// <summary>Adds <see cref="Command"/> (argument <c>seconds</c>, default 30) to every shard's database, when there are several (run mode only).</summary>
    public static IReadOnlyList<ReplicatedPostgresDatabase> WithOutageDrill(this IReadOnlyList<ReplicatedPostgresDatabase> shards)
    {
        if (shards.Count < 2 || !shards[0].Cluster.Builder.ExecutionContext.IsRunMode)
        {
            return shards;
        }

        foreach (var shard in shards)
        {
            shard.Primary.WithCommand(Command, "Take offline (drill)", async context =>
            {
                if (DrillCommands.Seconds(context.Arguments, fallback: 30, MaxSeconds) is not { } seconds)
                {
                    return CommandResults.Failure($"A shard is away for 1 to {MaxSeconds} seconds.");
                }

                await SetOnlineAsync(shard, online: false, context.CancellationToken);
                var logger = context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(shard.Primary.Resource);
                var stopping = context.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds(seconds), stopping);
                    }
                    catch (OperationCanceledException)
                    {
                        // The platform stops: it comes back online first, so that the next start finds the shard usable.
                    }

                    // Back online, however long the server takes to answer: a shard left refusing connections stays so (in the state folder).
                    for (var attempt = 1; ; attempt++)
                    {
                        try
                        {
                            await SetOnlineAsync(shard, online: true, CancellationToken.None);
                            logger.LogInformation("{Shard} accepts connections again", shard.Name);
                            return;
                        }
                        catch (NpgsqlException e) when (attempt < 30)
                        {
                            logger.LogWarning("{Shard} not back online yet ({Reason}); trying again", shard.Name, e.Message);
                            await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None);
                        }
                    }
                }, CancellationToken.None);
                return CommandResults.Success($"{shard.Name} refuses connections for {seconds} s.");
            }, new CommandOptions
            {
                Description = "The shard's database refuses connections for some seconds: its customers get 503, the others are served.",
                IconName = "PlugDisconnected",
                Arguments = [DrillCommands.SecondsInput("Seconds", 30)],
                UpdateState = _ => ResourceCommandState.Enabled,
            });
        }

        return shards;
    }

    private static async Task SetOnlineAsync(ReplicatedPostgresDatabase shard, bool online, CancellationToken cancellationToken)
    {
        var quote = new NpgsqlCommandBuilder();
        await ExecuteAsync(shard.Primary.Resource, $"ALTER DATABASE {quote.QuoteIdentifier(shard.Name)} WITH ALLOW_CONNECTIONS {online}", cancellationToken);
        if (!online)
        {
            foreach (var server in shard.Cluster.Replicas.Prepend(shard.Primary.Resource))
            {
                await ExecuteAsync(server, $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{shard.Name}'", cancellationToken);
            }
        }
    }

    /// <summary>As the superuser, in the server's maintenance database (the shard's own may refuse connections).</summary>
    private static async Task ExecuteAsync(IResourceWithConnectionString server, string sql, CancellationToken cancellationToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await server.GetConnectionStringAsync(cancellationToken))
        {
            Database = "postgres",
            Pooling = false,
        };
        await using var connection = new NpgsqlConnection(connectionString.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
