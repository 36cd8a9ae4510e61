using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore;

namespace Platform.Data;

/// <summary>Samples the primary's log position every <see cref="ReplicaReadOptions.SampleInterval"/> into <see cref="PrimaryPositionHistory"/>.</summary>
internal sealed partial class PrimaryPositionSampler<TContext>(
    ReplicatedDatabase<TContext> database, IOptions<ReplicaReadOptions> options, TimeProvider time,
    ILogger<PrimaryPositionSampler<TContext>> logger) : BackgroundService where TContext : DbContext
{
    private static readonly TimeSpan LagHorizon = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.SampleInterval, time);
        do
        {
            try
            {
                // Beyond the routing bound too, so that the lag a replica read sees can be told for up to a minute more.
                database.History.Record(await database.PrimaryPositionAsync(stoppingToken), settings.MaxLag + LagHorizon);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The primary is unreachable: no new samples, so the lag bound stays where it was.
                LogSampleFailed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(LogLevel.Debug, "Could not sample the primary's log position: {Reason}")]
    private static partial void LogSampleFailed(ILogger logger, string reason);
}
