using Platform.Orders.Data;
using Platform.Orders.Ordering;

if (MigrationStep.IsRequested(args))
{
    // The AppHost runs this once before the service starts (orders-migrations).
    await MigrationStep.RunAsync<OrdersDb>(args, builder => builder.AddServiceDefaults().AddOrdersDatabase());
    return;
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApiDocumentation();   // OpenAPI document with scopes and problem responses
builder.AddOrdersDatabase();    // ordersdb: commands on the primary, queries on the replicas
builder.AddOrderMessaging();    // OrderPlaced out (outbox), stock and payment outcomes in (inbox)
builder.AddJwtAuthentication("orders");
builder.Services.AddAuthorizationBuilder().AddScopePolicy(OrdersApi.Scope);
builder.Services.AddValidation();

var app = builder.Build();

app.UseForwardedHeaders();       // client address, host and path prefix, from the gateway only
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapApiDocumentation();
app.MapOrders();

app.Run();
