using System.Data.Common;

namespace Platform.Data.Sharding;

/// <summary>
/// No shard owns the bucket right now: it is being moved, or its shard has not answered since this process started.
/// Transient (a request gets 503 with <c>Retry-After</c>; a message is retried): nothing was written.
/// </summary>
public sealed class ShardUnavailableException(int bucket)
    : DbException($"Bucket {bucket} is not available right now (being moved, or its shard is not reachable); try again shortly.")
{
    public int Bucket { get; } = bucket;

    public override bool IsTransient => true;
}
