using System.Collections.Concurrent;
using System.Collections.Immutable;
using Platform.Contracts;
using Platform.Messaging;

namespace Platform.Web.Orders;

/// <summary>
/// Where this instance's open pages hear that an order was settled. Each web instance has its own queue for
/// <see cref="OrderSettled"/> (the bus delivers every event to every instance), and passes it to the circuits of that buyer.
/// </summary>
public sealed partial class OrderUpdates(ILogger<OrderUpdates> logger)
{
    private readonly ConcurrentDictionary<string, ImmutableList<Func<OrderSettled, Task>>> _listeners = new();

    /// <summary>Calls <paramref name="listener"/> for each of <paramref name="buyer"/>'s orders settled from now on, until disposed.</summary>
    public IDisposable Subscribe(string buyer, Func<OrderSettled, Task> listener)
    {
        _listeners.AddOrUpdate(buyer, [listener], (_, list) => list.Add(listener));
        return new Subscription(() =>
        {
            _listeners.AddOrUpdate(buyer, [], (_, list) => list.Remove(listener));
            _listeners.TryRemove(new KeyValuePair<string, ImmutableList<Func<OrderSettled, Task>>>(buyer, []));
        });
    }

    public async Task PublishAsync(OrderSettled settled)
    {
        if (!_listeners.TryGetValue(settled.BuyerId, out var listeners))
        {
            return;
        }

        foreach (var listener in listeners)
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

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private int _disposed;

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

internal sealed class OrderSettledHandler(OrderUpdates updates) : IIntegrationEventHandler<OrderSettled>
{
    public Task HandleAsync(OrderSettled integrationEvent, CancellationToken cancellationToken) => updates.PublishAsync(integrationEvent);
}
