using Platform.Contracts;
using Platform.Messaging;

namespace Platform.Web.Orders;

internal sealed class OrderSettledHandler(OrderUpdates updates) : IIntegrationEventHandler<OrderSettled>
{
    public Task HandleAsync(OrderSettled integrationEvent, CancellationToken cancellationToken) => updates.PublishAsync(integrationEvent);
}
