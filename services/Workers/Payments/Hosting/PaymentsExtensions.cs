using Npgsql;
using Platform.Contracts;
using Platform.Payments.Charging;
using Platform.Payments.Data;
using Platform.Payments.Provider;

namespace Platform.Payments.Hosting;

/// <summary>How the payments worker is wired: its database, messaging and the payment provider.</summary>
public static class PaymentsExtensions
{
    /// <summary><c>paymentsdb</c>: payments, and the worker's outbox and inbox.</summary>
    public static IHostApplicationBuilder AddPaymentsDatabase(this IHostApplicationBuilder builder) =>
        builder.AddReplicatedDatabase<PaymentsDb>(PaymentsDb.ConnectionName);

    /// <summary>
    /// Charges for <c>StockReserved</c> and cancels the payment of an <c>OrderExpired</c> (once each, through the inbox);
    /// <c>PaymentSucceeded</c> or <c>PaymentFailed</c> out through the outbox; charges counted in <see cref="PaymentMetrics"/>.
    /// </summary>
    public static IHostApplicationBuilder AddPaymentsMessaging(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PaymentMetrics>();
        builder.AddEventBus("eventbus", consumer: "payments")
            .AddInbox<PaymentsDb>()
            .AddSubscription<StockReserved, StockReservedHandler>()
            .AddSubscription<OrderExpired, OrderExpiredHandler>();
        return builder.AddOutboxRelay(PaymentsDb.ConnectionName);
    }

    /// <summary>The simulated provider (<c>Payments:Latency</c>, <c>Payments:FailureRate</c>), keeping its charges in paymentsdb.</summary>
    public static IHostApplicationBuilder AddPaymentProvider(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PaymentProviderOptions>().BindConfiguration("Payments");
        builder.Services.AddSingleton(services => ActivatorUtilities.CreateInstance<PaymentProvider>(services,
            services.GetRequiredKeyedService<NpgsqlDataSource>(PaymentsDb.ConnectionName)));
        return builder;
    }
}
