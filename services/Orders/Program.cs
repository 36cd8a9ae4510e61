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
builder.AddOrdersDatabase();    // ordersdb: commands on the primary, queries on the replicas
builder.AddOrderMessaging();    // OrderPlaced out (outbox), stock and payment outcomes in (inbox)
builder.AddJwtAuthentication("orders");
builder.Services.AddAuthorizationBuilder().AddScopePolicy(OrdersApi.Scope);
builder.Services.AddValidation();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapOrders();

app.Run();
