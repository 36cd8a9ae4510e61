using Platform.Contracts;
using Platform.Payments.Data;

namespace Platform.Payments.Hosting;

/// <summary>How the payments worker is wired: its database, messaging and the payment provider.</summary>
public static class PaymentsExtensions
{
    /// <summary><c>paymentsdb</c>: payments, and the worker's outbox and inbox.</summary>
    public static IHostApplicationBuilder AddPaymentsDatabase(this IHostApplicationBuilder builder) =>
        builder.AddReplicatedDatabase<PaymentsDb>("paymentsdb");

    /// <summary>Charges for <c>StockReserved</c> (once, through the inbox); <c>PaymentSucceeded</c> or <c>PaymentFailed</c> out through the outbox.</summary>
    public static IHostApplicationBuilder AddPaymentsMessaging(this IHostApplicationBuilder builder)
    {
        builder.AddEventBus("eventbus", consumer: "payments")
            .AddInbox<PaymentsDb>()
            .AddSubscription<StockReserved, StockReservedHandler>();
        return builder.AddOutboxRelay("paymentsdb");
    }

    /// <summary>The simulated provider (<c>Payments:Latency</c>, <c>Payments:FailureRate</c>).</summary>
    public static IHostApplicationBuilder AddPaymentProvider(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PaymentProviderOptions>().BindConfiguration("Payments");
        builder.Services.AddSingleton<PaymentProvider>();
        return builder;
    }
}
