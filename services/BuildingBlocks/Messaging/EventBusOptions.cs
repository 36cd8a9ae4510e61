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

    /// <summary>Back-off before the 2nd, 3rd… attempt; the last one repeats. Empty: 1 s, 5 s, 15 s.</summary>
    /// <remarks>Starts empty (defaults come in post-configuration) because configuration binding appends to a list.</remarks>
    public IList<TimeSpan> RetryDelays { get; } = [];

    internal static readonly TimeSpan[] DefaultRetryDelays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)];

    /// <summary>
    /// Times the broker may refuse one outbox event (a negative confirm, or a return) before the relay parks it: it
    /// stays in the outbox with its error and <c>parked_at</c> set, and the events behind it go on. An event that cannot
    /// reach the broker at all (broker down) is not refused: it waits, however long, and is never parked.
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
