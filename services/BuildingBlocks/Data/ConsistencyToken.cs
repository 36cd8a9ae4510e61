using System.Diagnostics.CodeAnalysis;
using NpgsqlTypes;

namespace Platform.Data;

/// <summary>
/// A position in the primary's write-ahead log, handed to a client after a write (the
/// <c>Consistency-Token</c> response header). A read that sends it back is served only by a
/// server that has replayed at least that far: the client sees its own write.
/// </summary>
public readonly record struct ConsistencyToken(NpgsqlLogSequenceNumber Position) : IComparable<ConsistencyToken>
{
    /// <summary>The request and response header that carries the token.</summary>
    public const string HeaderName = "Consistency-Token";

    /// <summary>The start of the log: every server has replayed at least this far.</summary>
    public static ConsistencyToken None { get; } = new(NpgsqlLogSequenceNumber.Invalid);

    /// <summary>Parses the header value (the Postgres LSN text form, e.g. <c>0/16B3748</c>); lets minimal APIs bind it.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out ConsistencyToken token)
    {
        if (value is { Length: > 0 and <= 17 } && NpgsqlLogSequenceNumber.TryParse(value, out var position))
        {
            token = new ConsistencyToken(position);
            return true;
        }

        token = None;
        return false;
    }

    /// <summary>The later of two tokens.</summary>
    public static ConsistencyToken Max(ConsistencyToken a, ConsistencyToken b) => a.Position >= b.Position ? a : b;

    public int CompareTo(ConsistencyToken other) => Position.CompareTo(other.Position);

    public static bool operator <(ConsistencyToken left, ConsistencyToken right) => left.CompareTo(right) < 0;

    public static bool operator >(ConsistencyToken left, ConsistencyToken right) => left.CompareTo(right) > 0;

    public static bool operator <=(ConsistencyToken left, ConsistencyToken right) => left.CompareTo(right) <= 0;

    public static bool operator >=(ConsistencyToken left, ConsistencyToken right) => left.CompareTo(right) >= 0;

    public override string ToString() => Position.ToString();
}
