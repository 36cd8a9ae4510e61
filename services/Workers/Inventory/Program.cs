using Platform.Inventory.Hosting;

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.AddInventoryDatabase();   // catalogdb, through the catalog's model: stock lives with the products
builder.AddInventoryMessaging();  // OrderPlaced → reserve; PaymentFailed → release

builder.Build().Run();
