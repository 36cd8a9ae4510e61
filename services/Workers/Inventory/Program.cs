using Platform.Catalog.Data;
using Platform.Inventory.Hosting;

if (MigrationStep.IsWaitRequested(args))
{
    // The catalog's database: where nothing orders the start (Kubernetes), wait for the catalog's migration step; never run one.
    await MigrationStep.RunAsync<CatalogDb>(args, builder => builder.AddServiceDefaults().AddInventoryDatabase());
    return;
}

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.AddInventoryDatabase();   // catalogdb, through the catalog's model: stock lives with the products
builder.AddInventoryMessaging();  // OrderPlaced → reserve; PaymentFailed → release

builder.Build().Run();
