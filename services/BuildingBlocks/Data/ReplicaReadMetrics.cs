using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Platform.Data;

/// <summary>
/// Where queries were read (meter <c>Platform.Data</c>): on a replica, or on the primary and why; and the replica lag the
/// last read on a replica saw, per database. docs/read-replicas.md explains the routing; docs/operations.md lists them.
/// </summary>
public sealed class ReplicaReadMetrics
{
    public const string MeterName = "Platform.Data";

    /// <summary>Why a read went to the primary.</summary>
    public static class Fallbacks
    {
        /// <summary>No replica answered (all down, or none configured).</summary>
        public const string NoReplica = "no_replica";

        /// <summary>The replica had not replayed far enough: the caller's write, or what the primary had <c>MaxLag</c> ago.</summary>
        public const string ReplicaBehind = "replica_behind";
    }

    // A lag seen longer ago than this is not reported: without reads there is nothing to tell, and an old value would
    // keep an alert firing.
    private static readonly TimeSpan Recent = TimeSpan.FromMinutes(1);

    private readonly Counter<long> _reads;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (double Seconds, long At)> _lag = new();

    public ReplicaReadMetrics(IMeterFactory meters, TimeProvider time)
    {
        _time = time;
        var meter = meters.Create(MeterName);
        _reads = meter.CreateCounter<long>("db.replica.reads", "{read}",
            "Queries by the server that served them (db.read.server: replica, primary) and, on the primary, why (reason).");
        meter.CreateObservableGauge("db.replica.lag", () => _lag.Where(l => _time.GetElapsedTime(l.Value.At) < Recent)
            .Select(l => new Measurement<double>(l.Value.Seconds, new KeyValuePair<string, object?>("db.namespace", l.Key))), "s",
            "How far behind the primary the replica of the latest read was (within the primary's sample interval); reported for a minute after a read.");
    }

    internal void OnReplica(string database, TimeSpan lag)
    {
        _reads.Add(1, new KeyValuePair<string, object?>("db.namespace", database), new KeyValuePair<string, object?>("db.read.server", "replica"));
        _lag[database] = (lag.TotalSeconds, _time.GetTimestamp());
    }

    /// <summary>A read on the primary; <paramref name="replicaLag"/> is what the replica tried first lagged by, if one answered.</summary>
    internal void OnPrimary(string database, string reason, TimeSpan? replicaLag)
    {
        _reads.Add(1, new KeyValuePair<string, object?>("db.namespace", database), new KeyValuePair<string, object?>("db.read.server", "primary"),
            new KeyValuePair<string, object?>("reason", reason));
        if (replicaLag is { } lag)
        {
            _lag[database] = (lag.TotalSeconds, _time.GetTimestamp());
        }
    }
}
