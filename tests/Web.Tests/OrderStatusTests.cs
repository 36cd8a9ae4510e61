using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Contracts;
using Platform.Web.Components.Parts;
using Platform.Web.Orders;

namespace Platform.Web.Tests;

/// <summary>An order's status on an open page, changed by what the bus pushes.</summary>
public sealed class OrderStatusTests : BunitContext
{
    private readonly OrderUpdates _updates = new(NullLogger<OrderUpdates>.Instance);
    private readonly Guid _order = Guid.CreateVersion7();

    public OrderStatusTests() => Services.AddSingleton(_updates);

    private IRenderedComponent<OrderStatus> RenderStatus() =>
        Render<OrderStatus>(parameters => parameters.Add(p => p.OrderId, _order).Add(p => p.BuyerId, "buyer-1").Add(p => p.Status, "processing"));

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
