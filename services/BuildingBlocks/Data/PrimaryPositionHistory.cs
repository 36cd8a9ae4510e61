namespace Platform.Data;

/// <summary>
/// Recent samples of the primary's log position, so that replica lag can be bounded in time: a replica
/// that has replayed at least the position the primary had <see cref="ReplicaReadOptions.MaxLag"/> ago
/// is recent enough to read from.
/// </summary>
public sealed class PrimaryPositionHistory(TimeProvider time)
{
    private readonly Queue<(long At, ConsistencyToken Position)> _samples = new();
    private readonly Lock _lock = new();

    /// <summary>Records the primary's position now; forgets samples older than <paramref name="keep"/>.</summary>
    public void Record(ConsistencyToken position, TimeSpan keep)
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            _samples.Enqueue((now, position));
            // Keep the newest sample that is older than the window: it is the answer for the window's edge.
            while (_samples.Count > 1 && time.GetElapsedTime(_samples.ElementAt(1).At, now) > keep)
            {
                _samples.Dequeue();
            }
        }
    }

    /// <summary>
    /// The position the primary had at least <paramref name="age"/> ago: a replica behind it lags by
    /// more than <paramref name="age"/>. <see cref="ConsistencyToken.None"/> until such a sample exists.
    /// </summary>
    public ConsistencyToken PositionAtLeast(TimeSpan age)
    {
        var now = time.GetTimestamp();
        var floor = ConsistencyToken.None;
        lock (_lock)
        {
            foreach (var (at, position) in _samples)
            {
                if (time.GetElapsedTime(at, now) < age)
                {
                    break;
                }

                floor = position;
            }
        }

        return floor;
    }

    /// <summary>
    /// How long ago the primary was first seen beyond <paramref name="replayed"/>: a replica that has replayed up to it
    /// lags at least that much (and less than one sample interval more). Zero when no sample is beyond it; at most the
    /// age of the oldest sample kept.
    /// </summary>
    public TimeSpan LagOf(ConsistencyToken replayed)
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            foreach (var (at, position) in _samples)
            {
                if (position > replayed)
                {
                    return time.GetElapsedTime(at, now);
                }
            }
        }

        return TimeSpan.Zero;
    }
}
