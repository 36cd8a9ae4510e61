using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Polly;
using Polly.Retry;

namespace Platform.Data;

/// <summary>
/// One service database on a Postgres cluster: commands go to the primary through the
/// (pooled) <typeparamref name="TContext"/>; queries go through <see cref="ReadAsync"/>, which picks a read
/// replica that is recent enough — or the primary when none is.
/// </summary>
/// <remarks>
/// A replica is recent enough when it has replayed (1) the caller's <see cref="ConsistencyToken"/>, if
/// the caller sent one (read-your-writes), and (2) what the primary had written
/// <see cref="ReplicaReadOptions.MaxLag"/> ago (bounded staleness). Replicas are chosen by Npgsql's
/// multi-host data source (<c>prefer-standby</c>, load-balanced), which also skips replicas that are down.
/// </remarks>
public sealed class ReplicatedDatabase<TContext> where TContext : DbContext
{
    private static readonly TimeSpan MaxPause = TimeSpan.FromMilliseconds(16);
    private readonly IServiceProvider _services;
    private readonly ReplicaReadOptions _options;
    private readonly TimeProvider _time;
    private readonly DbContextOptions<TContext> _readOptions;
    private readonly ObjectFactory<TContext> _createContext;
    private readonly ResiliencePipeline _primaryRetry;
    private readonly ResiliencePipeline _replicasRetry;
    private readonly ReplicaReadMetrics _metrics;
    private readonly string _databaseName;
    private long _latestWrite;
    private long _primaryReached;
    private long _cluster; // the system identifier, once known (0 before)

    internal ReplicatedDatabase(NpgsqlDataSource primary, NpgsqlDataSource replicas, IServiceProvider services,
        IOptions<ReplicaReadOptions> options, TimeProvider time, ReplicaReadMetrics metrics)
    {
        _metrics = metrics;
        _databaseName = new NpgsqlConnectionStringBuilder(primary.ConnectionString).Database ?? "";
        Primary = primary;
        Replicas = replicas;
        _services = services;
        _options = options.Value;
        _time = time;
        History = new PrimaryPositionHistory(time);
        _readOptions = new DbContextOptionsBuilder<TContext>()
            .UseNpgsql() // the connection is set per read: a replica's or the primary's
            .UseQueryTrackingBehavior(QueryTrackingBehavior.NoTracking)
            .Options;
        _createContext = ActivatorUtilities.CreateFactory<TContext>([typeof(DbContextOptions<TContext>)]);
        _primaryRetry = RetryOnBrokenConnections(primary);
        _replicasRetry = RetryOnBrokenConnections(replicas);
    }

    /// <summary>The primary (writes, and reads that no replica can serve).</summary>
    public NpgsqlDataSource Primary { get; }

    /// <summary>The replicas, then the primary: Npgsql multi-host, <c>prefer-standby</c>, load-balanced.</summary>
    public NpgsqlDataSource Replicas { get; }

    /// <summary>Recent primary positions, which bound replica lag in time.</summary>
    public PrimaryPositionHistory History { get; }

    /// <summary>The latest position this process has written (see <see cref="WrittenAsync"/>).</summary>
    public ConsistencyToken LatestWrite => new(new NpgsqlLogSequenceNumber((ulong)Interlocked.Read(ref _latestWrite)), Cluster);

    private ulong Cluster => (ulong)Interlocked.Read(ref _cluster);

    /// <summary>The primary's current log position.</summary>
    public async Task<ConsistencyToken> PrimaryPositionAsync(CancellationToken cancellationToken)
    {
        return await _primaryRetry.ExecuteAsync(async ct =>
        {
            var known = Cluster != 0;
            await using var command = Primary.CreateCommand(known
                ? "SELECT pg_current_wal_lsn(), 0::bigint"
                : "SELECT pg_current_wal_lsn(), system_identifier FROM pg_control_system()");
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            if (!known)
            {
                Interlocked.Exchange(ref _cluster, reader.GetInt64(1));
            }

            var position = new ConsistencyToken(reader.GetFieldValue<NpgsqlLogSequenceNumber>(0), Cluster);
            RaiseTo(ref _primaryReached, position);
            return position;
        }, cancellationToken);
    }

    /// <summary>
    /// <paramref name="after"/> if this database's cluster wrote it; null for another cluster's token — say an orders
    /// write's, which the web app sends with a catalog read — which names nothing this cluster has to replay.
    /// </summary>
    public async ValueTask<ConsistencyToken?> OwnAsync(ConsistencyToken? after, CancellationToken cancellationToken)
    {
        if (after is not { Cluster: not 0 } token)
        {
            return after;
        }

        if (Cluster == 0)
        {
            // Any server of the cluster says (a replica has the primary's identifier): a read needs no primary to learn it.
            await _replicasRetry.ExecuteAsync(async ct =>
            {
                await using var command = Replicas.CreateCommand("SELECT system_identifier FROM pg_control_system()");
                Interlocked.Exchange(ref _cluster, (long)(await command.ExecuteScalarAsync(ct))!);
            }, cancellationToken);
        }

        return token.IsFrom(Cluster) ? token : null;
    }

    /// <summary>
    /// Call after a write has committed: returns the token a client sends back to read its write (every
    /// commit before this call is at or before it), and remembers it as this process's latest write.
    /// </summary>
    public async Task<ConsistencyToken> WrittenAsync(CancellationToken cancellationToken)
    {
        var position = await PrimaryPositionAsync(cancellationToken);
        RaiseTo(ref _latestWrite, position);
        return position;
    }

    private static void RaiseTo(ref long field, ConsistencyToken position)
    {
        var value = (long)(ulong)position.Position;
        long seen;
        while ((seen = Interlocked.Read(ref field)) < value && Interlocked.CompareExchange(ref field, value, seen) != seen)
        {
        }
    }

    /// <summary>
    /// Opens a read-only, no-tracking <typeparamref name="TContext"/> on a replica that has replayed at
    /// least <paramref name="after"/> (waiting up to <see cref="ReplicaReadOptions.ReadYourWritesWait"/>
    /// for it) and lags by no more than <see cref="ReplicaReadOptions.MaxLag"/>; otherwise on the primary.
    /// </summary>
    /// <exception cref="BadHttpRequestException">
    /// 400: <paramref name="after"/> is beyond the primary's own position, so no server could ever serve it (a
    /// forged token); it would otherwise cost a wait and a read on the primary. Another cluster's token is ignored
    /// (<see cref="OwnAsync"/>).
    /// </exception>
    public async Task<ReadSession<TContext>> ReadAsync(ConsistencyToken? after, CancellationToken cancellationToken)
    {
        var token = await OwnAsync(after, cancellationToken) ?? ConsistencyToken.None;
        if ((ulong)token.Position > (ulong)Interlocked.Read(ref _primaryReached) && token > await PrimaryPositionAsync(cancellationToken))
        {
            throw new BadHttpRequestException(
                $"The {ConsistencyToken.HeaderName} header names a log position this database has not reached.", StatusCodes.Status400BadRequest);
        }

        var required = ConsistencyToken.Max(token, History.PositionAtLeast(_options.MaxLag));
        var (connection, onReplica, position) = await _replicasRetry.ExecuteAsync(ct => OpenAsync(Replicas, ct), cancellationToken);
        try
        {
            if (!onReplica)
            {
                _metrics.OnPrimary(_databaseName, ReplicaReadMetrics.Fallbacks.NoReplica, replicaLag: null);
                return Session(connection, onReplica, position); // no replica reachable: the fallback host
            }

            // Read-your-writes: replication is normally milliseconds behind, so a short wait keeps the read on a replica.
            if (position < required && required == token)
            {
                var deadline = _time.GetTimestamp() + (long)(_options.ReadYourWritesWait.TotalSeconds * _time.TimestampFrequency);
                var pause = TimeSpan.FromMilliseconds(1);
                while (position < required && _time.GetTimestamp() < deadline)
                {
                    await Task.Delay(pause, _time, cancellationToken);
                    pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxPause.Ticks)); // back off: a lagging replica is not asked 100 times
                    (_, position) = await ReplayedAsync(connection, cancellationToken);
                }
            }

            if (position >= required)
            {
                _metrics.OnReplica(_databaseName, History.LagOf(position));
                return Session(connection, onReplica, position);
            }

            _metrics.OnPrimary(_databaseName, ReplicaReadMetrics.Fallbacks.ReplicaBehind, History.LagOf(position));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        var primary = await _primaryRetry.ExecuteAsync(ct => OpenAsync(Primary, ct), cancellationToken);
        return Session(primary.Connection, onReplica: false, primary.Position);
    }

    /// <summary>Opens a connection and asks the server where it stands — which also proves the pooled connection still works.</summary>
    private static async ValueTask<(NpgsqlConnection Connection, bool OnReplica, ConsistencyToken Position)> OpenAsync(
        NpgsqlDataSource source, CancellationToken cancellationToken)
    {
        var connection = await source.OpenConnectionAsync(cancellationToken);
        try
        {
            var (onReplica, position) = await ReplayedAsync(connection, cancellationToken);
            return (connection, onReplica, position);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// After a server restarts, its pooled connections are dead and fail on first use. Drop the idle ones and
    /// try again, so a restart costs no request an error.
    /// </summary>
    private static ResiliencePipeline RetryOnBrokenConnections(NpgsqlDataSource source) => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(e => e.IsTransient),
            MaxRetryAttempts = 2,
            Delay = TimeSpan.Zero,
            OnRetry = _ =>
            {
                source.Clear();
                return default;
            },
        })
        .Build();

    private ReadSession<TContext> Session(NpgsqlConnection connection, bool onReplica, ConsistencyToken position)
    {
        var db = _createContext(_services, [_readOptions]);
        db.Database.SetDbConnection(connection, contextOwnsConnection: true);
        return new ReadSession<TContext>(db, onReplica, position);
    }

    private static async Task<(bool OnReplica, ConsistencyToken Position)> ReplayedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT pg_is_in_recovery(), CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END",
            connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var position = reader.IsDBNull(1) ? NpgsqlLogSequenceNumber.Invalid : reader.GetFieldValue<NpgsqlLogSequenceNumber>(1);
        return (reader.GetBoolean(0), new ConsistencyToken(position));
    }
}

/// <summary>A read-only <typeparamref name="TContext"/> on the server chosen for one read; dispose it to return the connection.</summary>
/// <param name="Db">No-tracking context on the chosen server.</param>
/// <param name="OnReplica">Whether the server is a replica (false: the primary).</param>
/// <param name="Position">The data is at least as recent as this position.</param>
public sealed record ReadSession<TContext>(TContext Db, bool OnReplica, ConsistencyToken Position) : IAsyncDisposable
    where TContext : DbContext
{
    public ValueTask DisposeAsync() => Db.DisposeAsync();
}
