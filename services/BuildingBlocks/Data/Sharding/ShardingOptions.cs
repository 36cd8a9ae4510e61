namespace Platform.Data.Sharding;

/// <summary>Configuration section <c>Sharding</c> of a sharded service.</summary>
public sealed class ShardingOptions
{
    public const string SectionName = "Sharding";

    /// <summary>The shards' connection names (<c>{name}</c> on the primary, <c>{name}-readonly</c> over the replicas), in a fixed order.</summary>
    public List<string> Shards { get; set; } = [];

    /// <summary>How often each process reads which buckets every shard owns (and at once when a write finds its bucket gone).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(5);
}
