namespace Platform.Messaging;

/// <summary>How the event bus is laid out and how hard it tries (configuration section <c>EventBus</c>).</summary>
public sealed class EventBusOptions
{
    public const string SectionName = "EventBus";

    /// <summary>The topic exchange every integration event is published to.</summary>
    public string Exchange { get; set; } = "platform.events";

    /// <summary>This service's consumer name: its queue, retry queues and dead-letter queue are named after it.</summary>
    public string Consumer { get; set; } = "";

    /// <summary>
    /// Every instance gets every event (to update what its own users see): a queue of its own that lives as long as the
    /// instance's connection, instead of the consumer's shared, durable queue. Nothing is retried or dead-lettered.
    /// </summary>
    public bool EachInstance { get; set; }

    /// <summary>The queue this instance consumes: <see cref="Consumer"/>, or with <see cref="EachInstance"/> one named after the instance.</summary>
    public string Queue => EachInstance ? $"{Consumer}.{InstanceId}" : Consumer;

    private static readonly string InstanceId = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <summary>Deliveries of one message before it goes to the dead-letter queue.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>
    /// How long a message whose handler fails because a database is away — a transient database failure: a server down,
    /// restarting or refusing connections, a shard being moved — is retried without spending its
    /// <see cref="MaxAttempts"/> — after the longest of the <see cref="RetryDelays"/> not longer than the outage has lasted —
    /// before it is dead-lettered as any other.
    /// An outage is not the message's fault; attempts are for what is.
    /// </summary>
    public TimeSpan OutageTolerance { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Deliveries of one message the broker makes before it dead-letters the message itself: a message that never gets
    /// settled (it crashes its consumer, or cannot be moved to a retry queue) stops coming back. Counts redeliveries only;
    /// a handler's failures count towards <see cref="MaxAttempts"/>.
    /// </summary>
    public int DeliveryLimit { get; set; } = 10;

    /// <summary>
    /// Messages a queue holds at most. A full queue refuses what is published to it: the outbox keeps those events and
    /// sends them once there is room again (back-pressure), instead of the broker's memory and disk filling up.
    /// </summary>
    public int MaxQueueLength { get; set; } = 100_000;

    /// <summary>How long a message that could not be moved to a retry or dead-letter queue waits before it is given back to its queue.</summary>
    public TimeSpan MoveRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Back-off before the 2nd, 3rd… attempt; the last one repeats. Empty: 1 s, 5 s, 15 s.</summary>
    /// <remarks>Starts empty (defaults come in post-configuration) because configuration binding appends to a list.</remarks>
    public IList<TimeSpan> RetryDelays { get; } = [];

    internal static readonly TimeSpan[] DefaultRetryDelays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)];

    /// <summary>
    /// Times the broker may return one outbox event as unroutable (the events exchange lost its unrouted queue) before the
    /// relay parks it: it stays in the outbox with its error and <c>parked_at</c> set, and the events behind it go on. A
    /// negative confirm is not a refusal but back-pressure (a full queue): the event waits, like one that cannot reach the
    /// broker at all (broker down), however long, and is never parked.
    /// </summary>
    public int OutboxMaxAttempts { get; set; } = 5;

    /// <summary>How long published outbox events and inbox entries (handled message ids) are kept.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the clean-up runs.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How often the outbox relay looks for pending events when no notification has woken it (one missed while it
    /// reconnected to the database, or a database without the trigger).
    /// </summary>
    public TimeSpan OutboxPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a publish waits for the broker's confirm before it counts as failed (and is retried).</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Unacknowledged messages a consumer holds at once.</summary>
    public ushort Prefetch { get; set; } = 16;

    /// <summary>Messages a consumer handles at the same time.</summary>
    public ushort Concurrency { get; set; } = 8;
}
