using Npgsql;
using Platform.Data;
using Platform.Contracts;
using Platform.Payments.Charging;
using Platform.Payments.Data;
using Platform.Payments.Provider;

namespace Platform.Payments.Hosting;

/// <summary>How the payments worker is wired: its database, messaging and the payment provider.</summary>
public static class PaymentsExtensions
{
    /// <summary>
    /// <c>paymentsdb</c>: payments, and the worker's outbox and inbox; and the same database as
    /// <see cref="PaymentsDb.AutonomousConnectionName"/>, a pool of its own for the writes a handler commits on their own
    /// while it holds the inbox transaction (the pending payment, the provider's ledger). From the inbox's pool, a handler
    /// holding one connection would wait for a second: with more handlers at once than connections, every connection is
    /// held by a handler waiting for another, and the pool deadlocks until its timeout (the order benchmark's payments
    /// backlog: 800 messages, p50 45 s at 40 orders/s).
    /// </summary>
    public static IHostApplicationBuilder AddPaymentsDatabase(this IHostApplicationBuilder builder)
    {
        builder.AddReplicatedDatabase<PaymentsDb>(PaymentsDb.ConnectionName);
        if (builder.Configuration.GetConnectionString(PaymentsDb.ConnectionName) is { } connectionString)
        {
            builder.Configuration[$"ConnectionStrings:{PaymentsDb.AutonomousConnectionName}"] = connectionString;
            builder.AddKeyedNpgsqlDataSource(PaymentsDb.AutonomousConnectionName, settings => settings.DisableHealthChecks = true, // paymentsdb has one
                source => ConnectionSettings.Apply(source, builder, PaymentsDb.AutonomousConnectionName));
        }

        return builder;
    }

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
            services.GetRequiredKeyedService<NpgsqlDataSource>(PaymentsDb.AutonomousConnectionName)));
        return builder;
    }
}
