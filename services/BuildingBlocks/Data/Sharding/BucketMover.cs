using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Data.Sharding;

/// <summary>
/// Moves a bucket to another shard while the service runs (<c>move-bucket &lt;bucket&gt; &lt;shard&gt;</c>, a run of the
/// service's own executable, like its migration step):
/// <list type="number">
/// <item>copy the bucket's rows to the target, while they are still being written on the source;</item>
/// <item>fence: on the source, wait for the bucket's writes under way and take the bucket from the source's
/// <c>shard_buckets</c> — from then on the source refuses its writes, and routers answer 503 (<c>Retry-After</c>);</item>
/// <item>copy what changed since the first copy began, then give the bucket to the target: the fence ends;</item>
/// <item>after every router has read the map again (<see cref="RoutersRefreshed"/>), delete the bucket's rows from the source.</item>
/// </list>
/// Only the moved bucket's writes wait, and only during the fence. A move that fails — or is cancelled — before the target owns
/// the bucket gives it back to the source; once the target owns it, the clean-up runs to its end. One move of a bucket at a
/// time (an advisory lock on the source).
/// </summary>
public static partial class BucketMover
{
    /// <summary>The command-line argument that turns a run of the service into a move.</summary>
    public const string Argument = "move-bucket";

    /// <summary>Rows created or settled this long before the first copy began are copied again after the fence: clocks of the instances differ.</summary>
    private static readonly TimeSpan ClockMargin = TimeSpan.FromMinutes(1);

    public static bool IsRequested(string[] args) => args.FirstOrDefault() == Argument;

    /// <summary>How long routers may still hold the old map: twice <see cref="ShardingOptions.RefreshInterval"/>.</summary>
    public static TimeSpan RoutersRefreshed(ShardingOptions options) => options.RefreshInterval * 2;

    /// <summary>
    /// Runs <c>move-bucket &lt;bucket&gt; &lt;shard&gt;</c> on a plain host that <paramref name="configure"/> gives the sharded
    /// database; prints one line that says what moved and how long writes were fenced. Exit code 0, or 1 when it failed (2: bad arguments).
    /// </summary>
    public static async Task<int> RunAsync<TContext>(string[] args, Action<HostApplicationBuilder> configure, IBucketRows rows) where TContext : DbContext
    {
        if (args.Length < 3 || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var bucket) || bucket >= Buckets.Count)
        {
            await Console.Error.WriteLineAsync($"usage: {Argument} <bucket 0-{Buckets.Count - 1}> <target shard>");
            return 2;
        }

        var builder = Host.CreateApplicationBuilder(args);
        configure(builder);
        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(BucketMover));
        // Stopped (SIGTERM, Ctrl+C) before the target owns the bucket, the move is undone, not cut off mid-fence.
        using var stop = new CancellationTokenSource();
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        try
        {
            var moved = await MoveAsync(host.Services.GetRequiredService<ShardedDatabase<TContext>>(), rows, bucket, args[2],
                RoutersRefreshed(host.Services.GetRequiredService<IOptions<ShardingOptions>>().Value), logger, stop.Token);
            Console.WriteLine(moved);
            return 0;
        }
        catch (Exception e) when (e is BucketMoveException or NpgsqlException or OperationCanceledException)
        {
            var reason = e is OperationCanceledException ? "stopped before the target took it" : e.Message;
            LogFailed(logger, bucket, reason);
            await Console.Error.WriteLineAsync($"bucket {bucket} not moved: {reason}");
            return 1;
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // no abrupt exit: the move winds down
            stop.Cancel();
        }
    }

    /// <summary>Moves <paramref name="bucket"/> to the shard named <paramref name="targetName"/>; see <see cref="BucketMover"/>.</summary>
    public static async Task<BucketMove> MoveAsync<TContext>(ShardedDatabase<TContext> database, IBucketRows rows, int bucket, string targetName,
        TimeSpan routersRefreshed, ILogger logger, CancellationToken cancellationToken) where TContext : DbContext
    {
        var target = database.Shards.SingleOrDefault(s => s.Name == targetName)
            ?? throw new BucketMoveException($"There is no shard '{targetName}' (shards: {string.Join(", ", database.Shards)}).");
        var owners = new List<Shard<TContext>>();
        foreach (var shard in database.Shards)
        {
            if ((await shard.OwnedBucketsAsync(cancellationToken)).Contains(bucket))
            {
                owners.Add(shard);
            }
        }

        var source = owners switch
        {
            [var owner] when owner == target => throw new BucketMoveException($"Bucket {bucket} is on {target} already."),
            [var owner] => owner,
            [] => throw new BucketMoveException($"No shard owns bucket {bucket}: a move of it is under way, or one failed and must be undone by hand (docs/sharding.md)."),
            _ => throw new BucketMoveException($"Bucket {bucket} is owned by {string.Join(" and ", owners)}."),
        };

        var total = Stopwatch.StartNew();
        await using var moveLock = await source.Primary.OpenConnectionAsync(cancellationToken);
        if (!await ScalarAsync<bool>(moveLock, "SELECT pg_try_advisory_lock($1, $2)", cancellationToken, BucketOwnership.MoveLockClass, bucket))
        {
            throw new BucketMoveException($"Bucket {bucket} is being moved by someone else.");
        }

        try
        {
            var copyStarted = DateTimeOffset.UtcNow;
            var copied = await CopyAsync(source, target, rows, bucket, changedSince: null, cancellationToken);
            LogCopied(logger, bucket, copied, source.Name, target.Name);

            var fence = Stopwatch.StartNew();
            await ExecuteAsync(source, cancellationToken,
                ("SET LOCAL lock_timeout = '30s'", []),
                ("SELECT pg_advisory_xact_lock($1, $2)", [BucketOwnership.LockClass, bucket]), // waits for the bucket's writes under way
                ("DELETE FROM shard_buckets WHERE bucket = $1", [bucket]));
            var copiedFenced = 0;
            try
            {
                copiedFenced = await CopyAsync(source, target, rows, bucket, copyStarted - ClockMargin, cancellationToken);
                await ExecuteAsync(target, cancellationToken, ("INSERT INTO shard_buckets (bucket) VALUES ($1)", [bucket]));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Unless the target took the bucket after all (its answer lost), it goes back to its source (the target's
                // copies stay invisible, and a next move overwrites them).
                if (!await OwnsAsync(target, bucket))
                {
                    await ExecuteAsync(source, CancellationToken.None, ("INSERT INTO shard_buckets (bucket) VALUES ($1) ON CONFLICT DO NOTHING", [bucket]));
                    throw;
                }
            }

            fence.Stop();
            LogSwitched(logger, bucket, target.Name, fence.Elapsed.TotalMilliseconds, copiedFenced);

            // Moved: the clean-up is not cancelled (a stop now would leave the source's copies behind for good).
            await database.RefreshAsync(TimeSpan.Zero, CancellationToken.None);
            await Task.Delay(routersRefreshed, CancellationToken.None);
            var deleted = await DeleteFromSourceAsync(source, rows, bucket, CancellationToken.None);
            return new BucketMove(bucket, source.Name, target.Name, copied, copiedFenced, deleted, fence.Elapsed, total.Elapsed);
        }
        finally
        {
            await ScalarAsync<bool>(moveLock, "SELECT pg_advisory_unlock($1, $2)", CancellationToken.None, BucketOwnership.MoveLockClass, bucket);
        }
    }

    /// <summary>
    /// The bucket's rows on the source, deleted only while the source does not own the bucket (under its fence lock): a move
    /// back meanwhile must not lose the rows it brought.
    /// </summary>
    private static async Task<int> DeleteFromSourceAsync<TContext>(Shard<TContext> source, IBucketRows rows, int bucket, CancellationToken cancellationToken)
        where TContext : DbContext
    {
        await using var connection = await source.Primary.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ScalarAsync<object>(connection, "SELECT pg_advisory_xact_lock($1, $2)", cancellationToken, BucketOwnership.LockClass, bucket);
        if (await ScalarAsync<bool>(connection, "SELECT EXISTS (SELECT 1 FROM shard_buckets WHERE bucket = $1)", cancellationToken, bucket))
        {
            return 0; // moved back meanwhile: the rows are the bucket's again
        }

        var deleted = await rows.DeleteAsync(connection, bucket, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return deleted;
    }

    /// <summary>Whether <paramref name="shard"/> says it owns <paramref name="bucket"/> (false when it cannot be asked).</summary>
    private static async Task<bool> OwnsAsync<TContext>(Shard<TContext> shard, int bucket) where TContext : DbContext
    {
        try
        {
            return (await shard.OwnedBucketsAsync(CancellationToken.None)).Contains(bucket);
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    private static async Task<int> CopyAsync<TContext>(Shard<TContext> source, Shard<TContext> target, IBucketRows rows, int bucket,
        DateTimeOffset? changedSince, CancellationToken cancellationToken) where TContext : DbContext
    {
        await using var from = await source.Primary.OpenConnectionAsync(cancellationToken);
        await using var to = await target.Primary.OpenConnectionAsync(cancellationToken);
        await using var transaction = await to.BeginTransactionAsync(cancellationToken);
        await using (var allow = new NpgsqlCommand($"SELECT set_config('{BucketOwnership.CopyingSetting}', $1, true)", to, transaction))
        {
            allow.Parameters.Add(new NpgsqlParameter { Value = bucket.ToString(CultureInfo.InvariantCulture) });
            await allow.ExecuteNonQueryAsync(cancellationToken);
        }

        var written = await rows.CopyAsync(from, to, bucket, changedSince, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return written;
    }

    /// <summary>Runs <paramref name="statements"/> in one transaction on <paramref name="shard"/>'s primary.</summary>
    private static async Task ExecuteAsync<TContext>(Shard<TContext> shard, CancellationToken cancellationToken,
        params (string Sql, object[] Parameters)[] statements) where TContext : DbContext
    {
        await using var connection = await shard.Primary.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var (sql, parameters) in statements)
        {
            var command = new NpgsqlBatchCommand(sql);
            foreach (var value in parameters)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    [LoggerMessage(LogLevel.Information, "Bucket {Bucket}: {Rows} rows copied from {Source} to {Target}; fencing its writes")]
    private static partial void LogCopied(ILogger logger, int bucket, int rows, string source, string target);

    [LoggerMessage(LogLevel.Information, "Bucket {Bucket} is on {Target}: writes were fenced for {Milliseconds:F0} ms ({Rows} rows copied meanwhile)")]
    private static partial void LogSwitched(ILogger logger, int bucket, string target, double milliseconds, int rows);

    [LoggerMessage(LogLevel.Error, "Bucket {Bucket} not moved: {Reason}")]
    private static partial void LogFailed(ILogger logger, int bucket, string reason);
}

/// <summary>What a move did: rows copied before and during the fence, rows deleted from the source, how long writes were fenced.</summary>
public sealed record BucketMove(int Bucket, string Source, string Target, int Copied, int CopiedFenced, int Deleted, TimeSpan Fence, TimeSpan Total)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"bucket {Bucket} moved from {Source} to {Target}: {Copied} rows copied, {CopiedFenced} more while writes were fenced for {Fence.TotalMilliseconds:F0} ms, {Deleted} deleted from {Source}; {Total.TotalSeconds:F1} s in all");
}

/// <summary>A move that cannot be done as asked (no such shard, the bucket is there already, or being moved).</summary>
public sealed class BucketMoveException(string message) : Exception(message);
