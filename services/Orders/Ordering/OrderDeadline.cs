using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Data.Sharding;
using Platform.Messaging;
using Platform.Orders.Data;

namespace Platform.Orders.Ordering;

/// <summary>When an order must be settled by (configuration section <c>Orders</c>).</summary>
public sealed class OrderDeadlineOptions
{
    /// <summary>An order still processing this long after it was placed is cancelled.</summary>
    public TimeSpan SettleDeadline { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often each instance looks for orders past their deadline.</summary>
    public TimeSpan DeadlineCheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Cancels orders that are still processing after <see cref="OrderDeadlineOptions.SettleDeadline"/> — a step was
/// dead-lettered, or a worker is gone — and publishes <see cref="OrderExpired"/>, on which inventory releases the stock
/// and payments cancels the charge. Every instance runs it: an order moves in the same statement as any late outcome
/// would move it (<see cref="OrderSettlement.SettleAsync"/>), so it expires once, and only if nothing settled it first.
/// </summary>
/// <remarks>Each check goes over every shard, and samples when the oldest order still processing was placed (<see cref="OrderMetrics"/>).</remarks>
public sealed partial class OrderDeadline(ShardedDatabase<OrdersDb> shards, IOptions<OrderDeadlineOptions> options, TimeProvider time,
    OrderMetrics metrics, ILogger<OrderDeadline> logger) : BackgroundService
{
    private const int BatchSize = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.DeadlineCheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            DateTimeOffset? oldest = null;
            foreach (var shard in shards.Shards)
            {
                try
                {
                    while (await ExpireBatchAsync(shard, stoppingToken) == BatchSize)
                    {
                    }

                    await using var db = shard.CreateContext();
                    var shardOldest = await db.Orders.Where(o => o.Status == OrderStatus.Processing && db.OwnedBuckets.Contains(o.Bucket))
                        .MinAsync(o => (DateTimeOffset?)o.CreatedAt, stoppingToken);
                    oldest = shardOldest < oldest || oldest is null ? shardOldest : oldest;
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogNotChecked(logger, shard.Name, e.Message); // that shard is away: next time
                }
            }

            metrics.OldestProcessing(oldest);
        }
    }

    private async Task<int> ExpireBatchAsync(Shard<OrdersDb> shard, CancellationToken cancellationToken)
    {
        await using var db = shard.CreateContext();
        var cutoff = time.GetUtcNow() - options.Value.SettleDeadline;
        var overdue = await db.Orders.Where(o => o.Status == OrderStatus.Processing && o.CreatedAt < cutoff && db.OwnedBuckets.Contains(o.Bucket))
            .OrderBy(o => o.CreatedAt).Select(o => o.Id).Take(BatchSize).ToListAsync(cancellationToken);
        var reason = $"Not settled within {options.Value.SettleDeadline}: cancelled, and any charge refunded.";
        foreach (var orderId in overdue)
        {
            await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
            {
                db.ChangeTracker.Clear();
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                if (await db.SettleAsync(orderId, OrderStatus.Cancelled, reason, [], time, ct) is { } waited)
                {
                    db.AddEvent(new OrderExpired(orderId));
                    LogExpired(logger, orderId);
                    metrics.Cancelled(OrderMetrics.Reasons.Expired, waited);
                }

                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
            }, cancellationToken);
        }

        return overdue.Count;
    }

    [LoggerMessage(LogLevel.Warning, "Order {OrderId} was not settled in time: cancelled")]
    private static partial void LogExpired(ILogger logger, Guid orderId);

    [LoggerMessage(LogLevel.Warning, "Could not look for orders past their deadline on {Shard}: {Reason}")]
    private static partial void LogNotChecked(ILogger logger, string shard, string reason);
}
