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
    /// Handles every message once per consumer, in a transaction of the scope's <typeparamref name="TContext"/> together
    /// with the handler's work (old entries are deleted by the database's outbox relay, <c>AddOutboxRelay</c>).
    /// </summary>
    public EventBusBuilder AddInbox<TContext>() where TContext : DbContext =>
        AddInbox((services, _, _) => ValueTask.FromResult(services.GetRequiredService<TContext>()));

    /// <summary>
    /// Handles every message once per consumer, in a transaction of the <typeparamref name="TContext"/> that
    /// <paramref name="database"/> gives for the event — the database of a sharded service's shard that holds what the
    /// event is about. The handler must use that same context (ask the scope for it the same way).
    /// </summary>
    public EventBusBuilder AddInbox<TContext>(Func<IServiceProvider, IntegrationEvent, CancellationToken, ValueTask<TContext>> database)
        where TContext : DbContext
    {
        builder.Services.AddScoped<IInbox>(services => new DatabaseInbox<TContext>(
            (@event, ct) => database(services, @event, ct), services.GetRequiredService<Options.IOptions<EventBusOptions>>()));
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
