using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Platform.Contracts;
using Platform.Messaging;
using Platform.Web.Components.Parts;
using Platform.Web.Orders;

namespace Platform.Web.Tests;

/// <summary>An order's status on an open page, changed by what the bus pushes; read again only when the push path is down.</summary>
public sealed class OrderStatusTests : BunitContext
{
    private readonly FakeTimeProvider _time = new();
    private readonly ConsumerStatus _consumer;
    private readonly OrderUpdates _updates;
    private readonly Guid _order = Guid.CreateVersion7();
    private int _refreshes;

    public OrderStatusTests()
    {
        _consumer = new ConsumerStatus(_time);
        _consumer.Receiving();
        _updates = new OrderUpdates(_consumer, _time, NullLogger<OrderUpdates>.Instance);
        Services.AddSingleton(_updates);
        Services.AddSingleton<TimeProvider>(_time);
        Renderer.SetRendererInfo(new RendererInfo("Server", isInteractive: true)); // as on a connected circuit
    }

    private IRenderedComponent<OrderStatus> RenderStatus(string status = "processing") =>
        Render<OrderStatus>(parameters => parameters.Add(p => p.OrderId, _order).Add(p => p.BuyerId, "buyer-1").Add(p => p.Status, status)
            .Add(p => p.Refresh, () => { Interlocked.Increment(ref _refreshes); return Task.CompletedTask; }));

    [Fact]
    public async Task A_pushed_confirmation_shows_at_once()
    {
        var status = RenderStatus();

        await _updates.PublishAsync(new OrderSettled(_order, "buyer-1", "confirmed", null, 12.50m));

        status.WaitForAssertion(() => Assert.Equal("confirmed", status.Find("[data-testid=order-status]").TextContent));
    }

    [Fact]
    public async Task A_pushed_cancellation_shows_the_reason()
    {
        var status = RenderStatus();

        await _updates.PublishAsync(new OrderSettled(_order, "buyer-1", "cancelled", "The card was declined.", null));

        status.WaitForAssertion(() => Assert.Contains("The card was declined.", status.Find("[data-testid=order-reason]").TextContent, StringComparison.Ordinal));
        Assert.Equal("cancelled", status.Find("[data-testid=order-status]").TextContent);
    }

    [Fact]
    public async Task Another_order_or_another_buyers_order_changes_nothing()
    {
        var status = RenderStatus();

        await _updates.PublishAsync(new OrderSettled(Guid.CreateVersion7(), "buyer-1", "confirmed", null, 1m));
        await _updates.PublishAsync(new OrderSettled(_order, "buyer-2", "confirmed", null, 1m));

        Assert.Equal("processing", status.Find("[data-testid=order-status]").TextContent);
    }

    [Fact]
    public async Task A_settlement_that_arrived_just_before_the_page_listened_is_shown_too()
    {
        await _updates.PublishAsync(new OrderSettled(_order, "buyer-1", "confirmed", null, 12.50m));
        _time.Advance(TimeSpan.FromSeconds(5));

        var status = RenderStatus();

        status.WaitForAssertion(() => Assert.Equal("confirmed", status.Find("[data-testid=order-status]").TextContent));
    }

    [Fact]
    public async Task A_settlement_long_gone_is_not_replayed()
    {
        await _updates.PublishAsync(new OrderSettled(_order, "buyer-1", "confirmed", null, 12.50m));
        _time.Advance(TimeSpan.FromMinutes(1));
        await _updates.PublishAsync(new OrderSettled(Guid.CreateVersion7(), "buyer-2", "confirmed", null, 1m)); // prunes

        var status = RenderStatus();

        Assert.Equal("processing", status.Find("[data-testid=order-status]").TextContent);
    }

    [Fact]
    public void While_the_push_path_works_the_page_is_not_read_again()
    {
        RenderStatus();

        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(0, _refreshes);
    }

    [Fact]
    public void When_the_push_path_is_interrupted_the_page_is_read_again_now_and_then_for_a_bounded_while()
    {
        var status = RenderStatus();
        _time.Advance(TimeSpan.FromSeconds(5));
        _consumer.Interrupted();
        _consumer.Receiving(); // back, but what was sent in between is lost

        for (var i = 0; i < 30; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(10));
        }

        status.WaitForState(() => _refreshes == 12);
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(12, _refreshes);
    }

    [Fact]
    public void Once_a_read_shows_the_order_settled_the_page_stops_reading()
    {
        _consumer.Interrupted(); // the broker is down
        var status = RenderStatus();
        _time.Advance(TimeSpan.FromSeconds(10));
        status.WaitForState(() => _refreshes == 1);

        status.Render(parameters => parameters.Add(p => p.Status, "confirmed"));
        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(1, _refreshes);
        Assert.Equal("confirmed", status.Find("[data-testid=order-status]").TextContent);
    }

    [Fact]
    public async Task A_listener_that_has_gone_is_no_longer_told_and_one_that_fails_does_not_stop_the_others()
    {
        var heard = new List<string>();
        var gone = _updates.Subscribe("buyer-1", _ => { heard.Add("gone"); return Task.CompletedTask; });
        using var failing = _updates.Subscribe("buyer-1", _ => throw new ObjectDisposedException("circuit"));
        using var open = _updates.Subscribe("buyer-1", _ => { heard.Add("open"); return Task.CompletedTask; });
        gone.Dispose();

        await _updates.PublishAsync(new OrderSettled(_order, "buyer-1", "confirmed", null, 1m));

        Assert.Equal(["open"], heard);
    }
}
