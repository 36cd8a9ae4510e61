using Platform.Contracts;
using Platform.Inventory;

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.AddReplicatedDatabase<InventoryDb>("catalogdb");   // stock lives in the catalog's database
builder.AddEventBus("eventbus", consumer: "inventory")
    .AddInbox<InventoryDb>()
    .AddSubscription<OrderPlaced, OrderPlacedHandler>()     // reserve → StockReserved | StockRejected
    .AddSubscription<PaymentFailed, PaymentFailedHandler>(); // release the reservation
builder.AddOutboxRelay("catalogdb");

builder.Build().Run();
