namespace Platform.Data;

/// <summary>How reads choose between the read replicas and the primary (configuration section <c>ReadReplicas</c>).</summary>
public sealed class ReplicaReadOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "ReadReplicas";

    /// <summary>
    /// The most a replica may lag behind the primary and still serve reads. A replica further
    /// behind is skipped and the read goes to the primary.
    /// </summary>
    public TimeSpan MaxLag { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a read carrying a consistency token waits for a replica to replay that far before
    /// it goes to the primary instead. Replication lag is a few milliseconds when healthy.
    /// </summary>
    public TimeSpan ReadYourWritesWait { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How often the primary's log position is sampled, to measure replica lag in time: a replica is judged against
    /// the primary's position between <see cref="MaxLag"/> and <see cref="MaxLag"/> + this interval ago.
    /// </summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(1);
}
