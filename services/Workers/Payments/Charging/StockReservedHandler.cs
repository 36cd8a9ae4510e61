using Microsoft.EntityFrameworkCore;
using Npgsql;
using Platform.Contracts;
using Platform.Messaging;
using Platform.Payments.Data;
using Platform.Payments.Provider;

namespace Platform.Payments.Charging;

/// <summary>
/// Charges a reserved order once, and reports the outcome. The payment is recorded as pending — committed on its own —
/// before the provider is asked, with the order id as the idempotency key; the outcome is stored and published in the
/// inbox transaction. A crash between the charge and that commit redelivers the message, which finds the payment pending
/// and asks again with the same key: the provider answers with the first charge instead of making a second.
/// </summary>
public sealed class StockReservedHandler(PaymentsDb db, [FromKeyedServices(PaymentsDb.AutonomousConnectionName)] NpgsqlDataSource database,
    PaymentProvider provider, ILogger<PaymentLog> logger, PaymentMetrics metrics, TimeProvider time) : IIntegrationEventHandler<StockReserved>
{
    public async Task HandleAsync(StockReserved integrationEvent, CancellationToken cancellationToken)
    {
        var orderId = integrationEvent.OrderId;
        if (await StartAsync(orderId, integrationEvent.Total, cancellationToken) != Payment.Pending)
        {
            return; // settled already, or voided: the order expired before it could be charged
        }

        var asked = time.GetTimestamp();
        var approved = await provider.ChargeAsync(orderId.ToString(), orderId.ToString(), integrationEvent.Total, cancellationToken);
        metrics.Charged(approved, time.GetElapsedTime(asked));
        var outcome = approved ? Payment.Succeeded : Payment.Failed;
        // Only a payment still pending moves: an order that expired meanwhile has had its charge cancelled (OrderExpiredHandler).
        var settled = await db.Payments.Where(p => p.OrderId == orderId && p.Status == Payment.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, outcome), cancellationToken);
        if (settled == 1)
        {
            if (approved)
            {
                db.AddEvent(new PaymentSucceeded(orderId, integrationEvent.Total, integrationEvent.Items));
                PaymentLog.Charged(logger, orderId, integrationEvent.Total);
            }
            else
            {
                db.AddEvent(new PaymentFailed(orderId, "The card was declined.", integrationEvent.Items));
                PaymentLog.Declined(logger, orderId);
            }
        }
    }

    /// <summary>Records the payment as pending unless it exists, outside the inbox transaction; returns its status.</summary>
    private async Task<string> StartAsync(Guid orderId, decimal amount, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"""
            INSERT INTO payments AS p (order_id, amount, status, created_at) VALUES ($1, $2, '{Payment.Pending}', now())
            ON CONFLICT (order_id) DO UPDATE SET status = p.status
            RETURNING status
            """);
        command.Parameters.Add(new() { Value = orderId });
        command.Parameters.Add(new() { Value = amount });
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
