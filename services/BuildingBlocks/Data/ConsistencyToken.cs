using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using NpgsqlTypes;

namespace Platform.Data;

/// <summary>
/// A position in the primary's write-ahead log, handed to a client after a write (the
/// <c>Consistency-Token</c> response header). A read that sends it back is served only by a
/// server that has replayed at least that far: the client sees its own write.
/// </summary>
/// <remarks>
/// A position means something only on the Postgres cluster that wrote it, and a client sends its last write's token to
/// every read (the web app does, whichever service wrote): so the token names its cluster — Postgres's system identifier,
/// which a cluster's replicas share — as <c>{cluster:x16}:{position}</c>. A read on another cluster has nothing to wait
/// for and ignores it (<see cref="ReplicatedDatabase{TContext}.ReadAsync"/>). A bare position (no cluster) is taken as
/// this cluster's.
/// </remarks>
/// <param name="Position">The log position.</param>
/// <param name="Cluster">The writing cluster's system identifier; 0 when not known.</param>
public readonly record struct ConsistencyToken(NpgsqlLogSequenceNumber Position, ulong Cluster = 0) : IComparable<ConsistencyToken>
{
    /// <summary>The request and response header that carries the token.</summary>
    public const string HeaderName = "Consistency-Token";

    private const int ClusterDigits = 16;

    /// <summary>The start of the log: every server has replayed at least this far.</summary>
    public static ConsistencyToken None { get; } = new(NpgsqlLogSequenceNumber.Invalid);

    /// <summary>
    /// Parses the header value — <c>{cluster}:{position}</c>, the cluster in 16 hex digits and the position in the Postgres
    /// LSN text form (e.g. <c>6f1c2e0a9b3d4c5e:0/16B3748</c>), or the position alone; lets minimal APIs bind it.
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out ConsistencyToken token)
    {
        token = None;
        if (value is null)
        {
            return false;
        }

        var cluster = 0UL;
        var separator = value.IndexOf(':', StringComparison.Ordinal);
        if (separator >= 0)
        {
            if (separator != ClusterDigits || !ulong.TryParse(value.AsSpan(0, ClusterDigits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out cluster))
            {
                return false;
            }

            value = value[(separator + 1)..];
        }

        if (value is { Length: > 0 and <= 17 } && NpgsqlLogSequenceNumber.TryParse(value, out var position))
        {
            token = new ConsistencyToken(position, cluster);
            return true;
        }

        return false;
    }

    /// <summary>Whether the token was written on <paramref name="cluster"/> (a token that names none is taken as its).</summary>
    public bool IsFrom(ulong cluster) => Cluster == 0 || Cluster == cluster;

    /// <summary>The later of two tokens.</summary>
    public static ConsistencyToken Max(ConsistencyToken a, ConsistencyToken b) => a.Position >= b.Position ? a : b;

    public int CompareTo(ConsistencyToken other) => Position.CompareTo(other.Position);

    public static bool operator <(ConsistencyToken left, ConsistencyToken right) => left.CompareTo(right) < 0;

    public static bool operator >(ConsistencyToken left, ConsistencyToken right) => left.CompareTo(right) > 0;

    public static bool operator <=(ConsistencyToken left, ConsistencyToken right) => left.CompareTo(right) <= 0;

    public static bool operator >=(ConsistencyToken left, ConsistencyToken right) => left.CompareTo(right) >= 0;

    public override string ToString() =>
        Cluster == 0 ? Position.ToString() : $"{Cluster.ToString("x16", CultureInfo.InvariantCulture)}:{Position}";
}
