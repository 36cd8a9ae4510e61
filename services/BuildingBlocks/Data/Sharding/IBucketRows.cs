using Npgsql;

namespace Platform.Data.Sharding;

/// <summary>What a sharded service gives <see cref="BucketMover"/>: how its rows of one bucket are copied to another shard and deleted.</summary>
public interface IBucketRows
{
    /// <summary>
    /// Copies (inserts, or brings up to date) the rows of <paramref name="bucket"/> from <paramref name="source"/> to
    /// <paramref name="target"/> — all of them, or only those that may have changed at or after <paramref name="changedSince"/>.
    /// Runs inside a transaction on the target that may write the bucket although the target does not own it yet.
    /// </summary>
    /// <returns>The rows written.</returns>
    Task<int> CopyAsync(NpgsqlConnection source, NpgsqlConnection target, int bucket, DateTimeOffset? changedSince, CancellationToken cancellationToken);

    /// <summary>Deletes the rows of <paramref name="bucket"/> from a shard that no longer owns it.</summary>
    /// <returns>The rows deleted.</returns>
    Task<int> DeleteAsync(NpgsqlConnection shard, int bucket, CancellationToken cancellationToken);
}
