using Platform.Catalog.Data;
using Platform.Catalog.Hosting;
using Platform.Catalog.Products;

if (MigrationStep.IsRequested(args))
{
    // The AppHost runs this once before the service starts (catalog-migrations).
    await MigrationStep.RunAsync<CatalogDb>(args, builder => builder.AddServiceDefaults().AddCatalogDatabase(), CatalogSeed.SeedAsync);
    return;
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCatalogDatabase();   // catalogdb: commands on the primary, queries on the replicas
builder.AddCatalogCache();      // HybridCache: memory, then Redis
builder.AddCatalogMessaging();  // stock changed by inventory: drop the cached copies
builder.AddCatalogApi();        // JWT for the catalog audience, scopes, validation, OpenAPI

var app = builder.Build();

app.UseApiPipeline();           // forwarded headers (gateway only), problem details, authentication
app.MapApiDefaults();           // /health, /alive, the OpenAPI document
app.MapProducts();

app.Run();
