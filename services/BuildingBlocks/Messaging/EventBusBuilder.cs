using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Messaging;
using Platform.Messaging.Inbox;

namespace Microsoft.Extensions.Hosting;

/// <summary>Adds subscriptions and the inbox to the event bus.</summary>
public sealed class EventBusBuilder(IHostApplicationBuilder builder, Subscriptions subscriptions)
{
    private bool _consuming;

    /// <summary>
    /// Handles every message once per consumer, in a transaction of <typeparamref name="TContext"/> together with the
    /// handler's work; old inbox entries and published outbox events of that database are deleted after <c>EventBus:Retention</c>.
    /// </summary>
    public EventBusBuilder AddInbox<TContext>() where TContext : DbContext
    {
        builder.Services.AddScoped<IInbox, DatabaseInbox<TContext>>();
        builder.Services.AddHostedService<MessageRetention<TContext>>();
        return this;
    }

    /// <summary>Every instance of this service receives every subscribed event, on a queue of its own (<see cref="EventBusOptions.EachInstance"/>).</summary>
    public EventBusBuilder EachInstance()
    {
        builder.Services.Configure<EventBusOptions>(options => options.EachInstance = true);
        return this;
    }

    /// <summary>Consumes <typeparamref name="TEvent"/> with <typeparamref name="THandler"/> (scoped, one per message).</summary>
    public EventBusBuilder AddSubscription<TEvent, THandler>()
        where TEvent : IntegrationEvent
        where THandler : class, IIntegrationEventHandler<TEvent>
    {
        subscriptions.Add<TEvent, THandler>();
        builder.Services.TryAddScoped<THandler>(); // one handler class may take several events
        if (!_consuming)
        {
            builder.Services.AddHostedService<EventConsumer>();
            builder.Services.AddSingleton<ConsumerStatus>();
            builder.Services.TryAddSingleton(TimeProvider.System);
            _consuming = true;
        }

        return this;
    }
}
