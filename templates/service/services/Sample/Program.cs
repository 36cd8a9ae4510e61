using Platform.Sample.Data;
using Platform.Sample.Hosting;
using Platform.Sample.Orders;

if (MigrationStep.IsRequested(args))
{
    // The AppHost runs this once before the service starts (sample-migrations).
    await MigrationStep.RunAsync<SampleDb>(args, builder => builder.AddServiceDefaults().AddSampleDatabase());
    return;
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddSampleDatabase();    // sampledb: commands on the primary, queries on the replicas
builder.AddSampleMessaging();   // OrderPlaced in (inbox): an example subscription
builder.AddSampleApi();         // JWT for the sample audience, scope, validation, OpenAPI

var app = builder.Build();

app.UseApiPipeline();           // forwarded headers (gateway only), problem details, authentication
app.MapApiDefaults();           // /health, /alive, the OpenAPI document
app.MapReceivedOrders();

app.Run();
