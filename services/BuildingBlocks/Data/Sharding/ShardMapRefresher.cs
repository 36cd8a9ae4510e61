using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Platform.Data.Sharding;

/// <summary>Reads the bucket map at start and every <see cref="ShardingOptions.RefreshInterval"/>.</summary>
internal sealed class ShardMapRefresher<TContext>(ShardedDatabase<TContext> database, IOptions<ShardingOptions> options, TimeProvider time)
    : BackgroundService where TContext : DbContext
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, time);
        do
        {
            await database.RefreshAsync(TimeSpan.Zero, stoppingToken); // a shard that does not answer is logged, not thrown
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

/// <summary>
/// Healthy when every shard answered the last read of the map; <em>degraded</em>, not unready, when some did not: the other
/// shards' customers are served (the gateway keeps routing here) and the missing shard's get 503. Unready only before the
/// first read, or when no shard answers.
/// </summary>
internal sealed class ShardsHealthCheck<TContext>(ShardedDatabase<TContext> database) : IHealthCheck where TContext : DbContext
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var answered = database.Answered;
        var missing = database.Shards.Where(shard => !answered[shard.Index]).Select(shard => shard.Name).ToList();
        return Task.FromResult(
            !database.Loaded ? new HealthCheckResult(context.Registration.FailureStatus, "The bucket map has not been read yet.")
            : missing.Count == 0 ? HealthCheckResult.Healthy($"{database.Shards.Count} shards answer.")
            : missing.Count < database.Shards.Count ? HealthCheckResult.Degraded($"Shards not answering: {string.Join(", ", missing)}.")
            : new HealthCheckResult(context.Registration.FailureStatus, "No shard answers."));
    }
}
