using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Messaging;
using Platform.Payments.Data;
using Platform.Payments.Provider;

namespace Platform.Payments.Charging;

/// <summary>
/// An order that was not settled in time is cancelled (orders' deadline), so its payment is too, once: one that was
/// charged is refunded; one pending (a charge in flight, or whose outcome a crash lost) is cancelled at the provider, which
/// refunds or voids it; an order not charged yet gets a voided payment, so a charge redriven later never happens.
/// </summary>
public sealed partial class OrderExpiredHandler(PaymentsDb db, PaymentProvider provider, ILogger<OrderExpiredHandler> logger)
    : IIntegrationEventHandler<OrderExpired>
{
    public async Task HandleAsync(OrderExpired integrationEvent, CancellationToken cancellationToken)
    {
        var orderId = integrationEvent.OrderId;
        // Voided unless a payment exists; one that does is locked until this transaction ends, so its charge cannot settle meanwhile.
        var status = (await db.Database.SqlQuery<string>($"""
            INSERT INTO payments AS p (order_id, amount, status, created_at) VALUES ({orderId}, 0, {Payment.Voided}, now())
            ON CONFLICT (order_id) DO UPDATE SET status = p.status
            RETURNING (CASE WHEN xmax = 0 THEN 'inserted' ELSE status END) AS "Value"
            """).ToListAsync(cancellationToken)).Single();
        if (status is not (Payment.Pending or Payment.Succeeded))
        {
            return; // voided just now, or nothing was charged
        }

        var charge = await provider.CancelAsync(orderId.ToString(), orderId.ToString(), cancellationToken);
        var outcome = charge switch
        {
            ProviderCharge.Refunded => Payment.Refunded,
            ProviderCharge.Declined => Payment.Failed,
            _ => Payment.Voided,
        };
        await db.Payments.Where(p => p.OrderId == orderId)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, outcome), cancellationToken);
        LogCancelled(logger, orderId, status, outcome);
    }

    [LoggerMessage(LogLevel.Warning, "Order {OrderId} expired with its payment {Status}: now {Outcome}")]
    private static partial void LogCancelled(ILogger logger, Guid orderId, string status, string outcome);
}
