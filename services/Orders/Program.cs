using Platform.Data.Sharding;
using Platform.Orders.Data;
using Platform.Orders.Hosting;
using Platform.Orders.Ordering;

if (MigrationStep.IsRequested(args))
{
    // The AppHost runs this once before the service starts (orders-migrations): every shard, and the buckets given out.
    await ShardedMigrationStep.RunAsync<OrdersDb>(args, builder => builder.AddServiceDefaults().AddOrdersDatabase());
    return 0;
}

if (BucketMover.IsRequested(args))
{
    // Run by the AppHost's "Move bucket" command (or a Job in a cluster): move-bucket <bucket> <target shard>.
    return await BucketMover.RunAsync<OrdersDb>(args, builder => builder.AddServiceDefaults().AddOrdersDatabase(), new OrderBucketRows());
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddOrdersDatabase();    // shards by customer (ordersdb, ordersdb2…): on each, commands on the primary, queries on the replicas
builder.AddOrdersMessaging();   // OrderPlaced and OrderSettled out (outbox), stock and payment outcomes in (inbox)
builder.AddOrderDeadline();    // orders not settled within Orders:SettleDeadline are cancelled (OrderExpired)
builder.AddOrdersApi();         // JWT for the orders audience, scope, validation, OpenAPI
builder.AddOrderMetrics();      // placed, settled (by outcome and reason), time to settle, oldest still processing

var app = builder.Build();

app.UseApiPipeline();           // forwarded headers (gateway only), problem details, authentication
app.MapApiDefaults();           // /health, /alive, the OpenAPI document
app.MapOrders();
app.MapOrdersAcrossShards();     // operators: every customer's orders, from every shard

app.Run();
return 0;
