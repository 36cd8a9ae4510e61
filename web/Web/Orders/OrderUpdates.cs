using System.Collections.Concurrent;
using System.Collections.Immutable;
using Platform.Contracts;
using Platform.Messaging;

namespace Platform.Web.Orders;

/// <summary>
/// Where this instance's open pages hear that an order was settled. Each web instance has its own queue for
/// <see cref="OrderSettled"/> (the bus delivers every event to every instance), and passes it to the circuits of that buyer.
/// </summary>
public sealed partial class OrderUpdates(ConsumerStatus consumer, TimeProvider time, ILogger<OrderUpdates> logger)
{
    // A page reads an order, then listens: a settlement in between is handed to it from here when it starts listening.
    private static readonly TimeSpan KeepRecent = TimeSpan.FromSeconds(30);
    private const int MaxRecent = 10_000;

    private readonly ConcurrentDictionary<string, ImmutableList<Func<OrderSettled, Task>>> _listeners = new();
    private readonly ConcurrentQueue<(DateTimeOffset At, OrderSettled Settled)> _recent = new();

    /// <summary>
    /// Calls <paramref name="listener"/> for each of <paramref name="buyer"/>'s orders settled from now on — and for those
    /// settled in the last seconds, which a page that has just read its orders may not show yet — until disposed.
    /// </summary>
    public Subscription Subscribe(string buyer, Func<OrderSettled, Task> listener)
    {
        var since = time.GetUtcNow();
        _listeners.AddOrUpdate(buyer, [listener], (_, list) => list.Add(listener));
        var missed = _recent.Where(r => r.Settled.BuyerId == buyer).Select(r => r.Settled).ToList();
        if (missed.Count > 0)
        {
            _ = NotifyAsync([listener], missed);
        }

        return new Subscription(since, consumer, () =>
        {
            _listeners.AddOrUpdate(buyer, [], (_, list) => list.Remove(listener));
            _listeners.TryRemove(new KeyValuePair<string, ImmutableList<Func<OrderSettled, Task>>>(buyer, []));
        });
    }

    public async Task PublishAsync(OrderSettled settled)
    {
        var now = time.GetUtcNow();
        _recent.Enqueue((now, settled));
        while (_recent.TryPeek(out var oldest) && (oldest.At < now - KeepRecent || _recent.Count > MaxRecent))
        {
            _recent.TryDequeue(out _);
        }

        if (_listeners.TryGetValue(settled.BuyerId, out var listeners))
        {
            await NotifyAsync(listeners, [settled]);
        }
    }

    private async Task NotifyAsync(IEnumerable<Func<OrderSettled, Task>> listeners, IReadOnlyList<OrderSettled> settlements)
    {
        foreach (var listener in listeners)
        {
            foreach (var settled in settlements)
            {
                try
                {
                    await listener(settled);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // One closed page must not keep the others from hearing it.
                    LogListenerFailed(logger, settled.OrderId, e.Message);
                }
            }
        }
    }

    /// <summary>A page listening for settlements; <see cref="MayHaveMissed"/> tells it when it should read again itself.</summary>
    public sealed class Subscription(DateTimeOffset since, ConsumerStatus consumer, Action dispose) : IDisposable
    {
        private int _disposed;

        /// <summary>
        /// True when a settlement may not have reached this listener: the instance's consumer is not receiving, or was
        /// interrupted after the listener began (events sent to an instance's own queue in the meantime are lost).
        /// </summary>
        public bool MayHaveMissed => !consumer.ReceivingSince(since);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                dispose();
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "A page could not be told that order {OrderId} was settled: {Reason}")]
    private static partial void LogListenerFailed(ILogger logger, Guid orderId, string reason);
}
