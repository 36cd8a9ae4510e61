using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Messaging.Inbox;

namespace Platform.Messaging;

/// <summary>The events this service consumes and how to hand each to its handler.</summary>
public sealed class Subscriptions
{
    private readonly Dictionary<string, Subscription> _byName = [];

    public IEnumerable<string> EventNames => _byName.Keys;

    internal void Add<TEvent, THandler>() where TEvent : IntegrationEvent where THandler : IIntegrationEventHandler<TEvent> =>
        _byName[EventMessage.NameOf(typeof(TEvent))] = new Subscription(typeof(TEvent), static (services, @event, ct) =>
            services.GetRequiredService<THandler>().HandleAsync((TEvent)@event, ct));

    internal bool TryGet(string? eventName, out Subscription subscription) =>
        _byName.TryGetValue(eventName ?? "", out subscription!);

    internal sealed record Subscription(Type EventType, Func<IServiceProvider, IntegrationEvent, CancellationToken, Task> Invoke)
    {
        /// <summary>Deserializes and handles the message in <paramref name="services"/> (a fresh scope), through the inbox when there is one.</summary>
        public async Task<bool> HandleAsync(IServiceProvider services, EventMessage message, CancellationToken cancellationToken)
        {
            var @event = (IntegrationEvent?)JsonSerializer.Deserialize(message.Payload, EventType, EventMessage.Json)
                ?? throw new JsonException("The message body is null.");
            if (services.GetService<IInbox>() is { } inbox)
            {
                return await inbox.HandleOnceAsync(@event, message.Id, ct => Invoke(services, @event, ct), cancellationToken);
            }

            await Invoke(services, @event, cancellationToken);
            return true;
        }
    }
}
