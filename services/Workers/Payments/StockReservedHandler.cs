using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Messaging;
using Platform.Payments.Data;

namespace Platform.Payments;

/// <summary>Charges a reserved order once, and reports the outcome (stored with the payment, one transaction).</summary>
public sealed class StockReservedHandler(PaymentsDb db, PaymentProvider provider, TimeProvider time) : IIntegrationEventHandler<StockReserved>
{
    public async Task HandleAsync(StockReserved integrationEvent, CancellationToken cancellationToken)
    {
        if (await db.Payments.AnyAsync(p => p.OrderId == integrationEvent.OrderId, cancellationToken))
        {
            return; // charged already
        }

        var approved = await provider.ChargeAsync(integrationEvent.Total, cancellationToken);
        db.Payments.Add(new Payment
        {
            OrderId = integrationEvent.OrderId,
            Amount = integrationEvent.Total,
            Status = approved ? "succeeded" : "failed",
            CreatedAt = time.GetUtcNow(),
        });
        db.AddEvent(approved
            ? new PaymentSucceeded(integrationEvent.OrderId, integrationEvent.Total, integrationEvent.Items)
            : new PaymentFailed(integrationEvent.OrderId, "The card was declined.", integrationEvent.Items));
    }
}
