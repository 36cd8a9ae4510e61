using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Contracts;
using Platform.Messaging;
using Platform.Messaging.Inbox;

namespace Platform.BuildingBlocks.Tests.Messaging;

/// <summary>From a message on the wire to the handler a service registered for its event.</summary>
public sealed class SubscriptionsTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private sealed class Recorder : IIntegrationEventHandler<OrderPlaced>
    {
        public List<OrderPlaced> Handled { get; } = [];

        public Task HandleAsync(OrderPlaced integrationEvent, CancellationToken cancellationToken)
        {
            Handled.Add(integrationEvent);
            return Task.CompletedTask;
        }
    }

    /// <summary>An inbox that has seen every message before.</summary>
    private sealed class SeenBefore : IInbox
    {
        public Task<bool> HandleOnceAsync(IntegrationEvent integrationEvent, Guid messageId, Func<CancellationToken, Task> handle, CancellationToken cancellationToken) =>
            Task.FromResult(false);
    }

    private static ServiceProvider Services(Action<IServiceCollection>? more = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration["ConnectionStrings:eventbus"] = "amqp://nobody:none@127.0.0.1:1/";
        builder.AddEventBus("eventbus", consumer: "inventory").AddSubscription<OrderPlaced, Recorder>();
        builder.Services.AddSingleton<Recorder>(); // one instance, to look at
        more?.Invoke(builder.Services);
        return builder.Services.BuildServiceProvider();
    }

    private static readonly OrderPlaced Placed = new(Guid.CreateVersion7(), "buyer-1", [new OrderLineItem(3, 2)]);

    [Fact]
    public async Task A_message_is_decoded_to_its_event_and_handed_to_the_handler()
    {
        await using var services = Services();
        var subscriptions = services.GetRequiredService<Subscriptions>();

        Assert.Equal(["OrderPlaced"], subscriptions.EventNames);
        Assert.True(subscriptions.TryGet("OrderPlaced", out var subscription));
        Assert.True(await subscription.HandleAsync(services, EventMessage.From(Placed), Cancellation));

        var handled = Assert.Single(services.GetRequiredService<Recorder>().Handled);
        Assert.Equal((Placed.Id, Placed.OrderId, Placed.BuyerId, Placed.OccurredAt), (handled.Id, handled.OrderId, handled.BuyerId, handled.OccurredAt));
        Assert.Equal(Placed.Items, handled.Items);
    }

    [Fact]
    public async Task A_message_the_inbox_has_seen_is_not_handled_again()
    {
        await using var services = Services(s => s.AddScoped<IInbox, SeenBefore>());
        var subscriptions = services.GetRequiredService<Subscriptions>();
        Assert.True(subscriptions.TryGet("OrderPlaced", out var subscription));

        Assert.False(await subscription.HandleAsync(services, EventMessage.From(Placed), Cancellation));
        Assert.Empty(services.GetRequiredService<Recorder>().Handled);
    }

    [Fact]
    public async Task Events_nobody_subscribed_to_and_empty_bodies_are_not_handled()
    {
        await using var services = Services();
        var subscriptions = services.GetRequiredService<Subscriptions>();

        Assert.False(subscriptions.TryGet("PaymentFailed", out _));
        Assert.False(subscriptions.TryGet(null, out _));
        Assert.True(subscriptions.TryGet("OrderPlaced", out var subscription));
        var empty = EventMessage.From(Placed) with { Payload = "null" };
        await Assert.ThrowsAsync<JsonException>(() => subscription.HandleAsync(services, empty, Cancellation)); // → dead-lettered
        Assert.Empty(services.GetRequiredService<Recorder>().Handled);
    }

    [Fact]
    public void A_message_carries_the_events_id_name_camel_case_payload_and_the_trace_it_was_published_in()
    {
        using var activity = new Activity("publish").SetIdFormat(ActivityIdFormat.W3C).Start();
        activity.TraceStateString = "vendor=1";

        var message = EventMessage.From(Placed);

        Assert.Equal(Placed.Id, message.Id);
        Assert.Equal("OrderPlaced", message.Type);
        Assert.Contains("\"buyerId\":\"buyer-1\"", message.Payload, StringComparison.Ordinal);
        Assert.Equal(activity.Id, message.TraceParent);
        Assert.Equal("vendor=1", message.TraceState);
    }
}
