using Platform.Catalog.Data;
using Platform.Catalog.Hosting;
using Platform.Catalog.Products;
using Platform.Contracts;

if (MigrationStep.IsRequested(args))
{
    // The AppHost runs this once before the service starts (catalog-migrations).
    await MigrationStep.RunAsync<CatalogDb>(args, builder => builder.AddServiceDefaults().AddCatalogDatabase(), CatalogSeed.SeedAsync);
    return;
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApiDocumentation();   // OpenAPI document with scopes and problem responses
builder.AddCatalogDatabase();   // catalogdb: commands on the primary, queries on the replicas
builder.AddCatalogCache();      // HybridCache: memory, then Redis
builder.AddEventBus("eventbus", consumer: "catalog")          // stock changed by inventory: drop the cached copies
    .AddSubscription<StockReserved, StockChanges>()
    .AddSubscription<StockReleased, StockChanges>();
builder.AddJwtAuthentication("catalog");
builder.Services.AddAuthorizationBuilder()
    .AddScopePolicy(ProductsApi.ReadScope)
    .AddScopePolicy(ProductsApi.AdminScope);
builder.Services.AddValidation();

var app = builder.Build();

app.UseForwardedHeaders();       // client address, host and path prefix, from the gateway only
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapApiDocumentation();
app.MapProducts();

app.Run();
