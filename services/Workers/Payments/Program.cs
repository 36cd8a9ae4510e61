using Platform.Payments.Data;
using Platform.Payments.Hosting;

if (MigrationStep.IsRequested(args))
{
    // The AppHost runs this once before the workers start (payments-migrations).
    await MigrationStep.RunAsync<PaymentsDb>(args, builder => builder.AddServiceDefaults().AddPaymentsDatabase());
    return;
}

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.AddPaymentsDatabase();  // paymentsdb: payments, outbox, inbox
builder.AddPaymentsMessaging(); // StockReserved in → charge → PaymentSucceeded | PaymentFailed out; OrderExpired → refund or void
builder.AddPaymentProvider();   // simulated, idempotent per key: Payments:Latency, Payments:FailureRate

builder.Build().Run();
