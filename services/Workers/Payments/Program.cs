using Platform.Contracts;
using Platform.Payments;
using Platform.Payments.Data;

if (MigrationStep.IsRequested(args))
{
    // The AppHost runs this once before the workers start (payments-migrations).
    await MigrationStep.RunAsync<PaymentsDb>(args, builder => builder.AddServiceDefaults().AddReplicatedDatabase<PaymentsDb>("paymentsdb"));
    return;
}

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.AddReplicatedDatabase<PaymentsDb>("paymentsdb");
builder.AddEventBus("eventbus", consumer: "payments")
    .AddInbox<PaymentsDb>()
    .AddSubscription<StockReserved, StockReservedHandler>();   // charge → PaymentSucceeded | PaymentFailed
builder.AddOutboxRelay("paymentsdb");
builder.Services.AddOptions<PaymentProviderOptions>().BindConfiguration("Payments");
builder.Services.AddSingleton<PaymentProvider>();

builder.Build().Run();
