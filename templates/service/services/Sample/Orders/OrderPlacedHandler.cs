using Platform.Contracts;
using Platform.Messaging;
using Platform.Sample.Data;

namespace Platform.Sample.Orders;

/// <summary>Records each placed order once: the inbox runs this in one transaction with the message's id.</summary>
public sealed class OrderPlacedHandler(SampleDb db, TimeProvider time) : IIntegrationEventHandler<OrderPlaced>
{
    public Task HandleAsync(OrderPlaced integrationEvent, CancellationToken cancellationToken)
    {
        db.ReceivedOrders.Add(new ReceivedOrder
        {
            OrderId = integrationEvent.OrderId,
            BuyerId = integrationEvent.BuyerId,
            Items = integrationEvent.Items.Sum(i => i.Quantity),
            ReceivedAt = time.GetUtcNow(),
        });
        return Task.CompletedTask; // saved by the inbox, with its row
    }
}
