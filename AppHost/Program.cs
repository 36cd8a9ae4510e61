using System.Globalization;
using Platform.AppHost.Deployment;
using Platform.AppHost.Infrastructure;
using Platform.AppHost.Infrastructure.Postgres;
using Platform.AppHost.Infrastructure.RabbitMQ;
using Platform.AppHost.Infrastructure.Redis;
using Platform.AppHost.Operations;
using Platform.AppHost.Services;
using Platform.Contracts;

var builder = DistributedApplication.CreateBuilder(args);
builder.ConfigureOrchestration();                      // readiness seen promptly, no watcher process per executable

// Shared infrastructure: containers when a container runtime answers, local processes otherwise.
var infrastructure = builder.AddSharedInfrastructure();

var postgres = infrastructure.AddPostgres("postgres")   // primary + N streaming read replicas
    .WithReplicaLagDrill();                             // dashboard drill: the replicas stop replaying for some seconds
var identityDb = postgres.AddDatabase("identitydb");
var catalogDb = postgres.AddDatabase("catalogdb");
var ordersShards = postgres.AddShards("ordersdb",      // orders by customer over shards: ordersdb, ordersdb2, …
        int.Parse(builder.Configuration["Orders:Shards"] ?? "2", CultureInfo.InvariantCulture))
    .WithOutageDrill();                                 // dashboard drill: a shard refuses connections for some seconds
//#if (workers)
var paymentsDb = postgres.AddDatabase("paymentsdb");
//#endif

var redis = infrastructure.AddRedis("redis");           // cache, output cache, data-protection keys
var eventBus = infrastructure.AddRabbitMQ("eventbus")   // integration events
    .WithPauseDrill();                                  // dashboard drill: the broker freezes for some seconds

// Services
var identity = builder.AddIdentityService("identity", infrastructure, identityDb)  // OpenID Connect provider
    .WithDataProtectionKeys(infrastructure, redis);     // login cookies and form tokens survive restarts
var instances = int.Parse(builder.Configuration["Services:Instances"] ?? "2", CultureInfo.InvariantCulture);      // of each API, balanced by the gateway

var catalog = builder.AddService<Projects.Platform_Catalog>("catalog")
    .WithDatabase(catalogDb)        // migration step first; commands on the primary, queries on the replicas
    .WithRedisUser(redis)           // HybridCache L2 (optional: reads fall back to the database), as its own Redis user
    .WithEventBusUser(eventBus, consumes: [typeof(StockReserved), typeof(StockReleased)])  // stock changes invalidate the cache
    .WithReference(identity)        // token authority
    .WithInstances(instances)
    .WithKillDrill();               // dashboard drill: SIGKILL an instance, started again after some seconds

var orders = builder.AddService<Projects.Platform_Orders>("orders")
    .WithShardedDatabase(ordersShards)          // each customer's orders on the shard of their bucket; one migration step for all
    .WithEventBusUser(eventBus,                 // as its own broker user: outcomes in, its events out (outbox relay)
        consumes: [typeof(StockRejected), typeof(PaymentSucceeded), typeof(PaymentFailed)],
        publishes: [typeof(OrderPlaced), typeof(OrderExpired), typeof(OrderSettled)])
    .WithDeadLetterRedrive(eventBus, "orders")  // operator command: outcomes that failed for good, handled again
    .WithBucketMoves(ordersShards)              // operator command: a bucket of customers to another shard, online
    .WithReference(identity)
    .WithSettingsFrom("Orders")                 // --Orders:SettleDeadline: unsettled orders are cancelled after it
    .WithInstances(instances)
    .WithKillDrill();

// Front door: the only public entry to the APIs and to signing in
var gateway = builder.AddGateway("gateway")
    .WithRoutesTo(identity, catalog, orders)    // every instance a destination: load balancing, health checks, retries
    .WithSharedRateLimits(redis);               // rate-limit counters in Redis, shared by every gateway instance
identity.WithIssuer(gateway);                   // tokens say iss = the gateway's URL, however they were fetched
//#if (web)

// Web app: storefront and back office (Blazor), two replicas
builder.AddWebApp("web", identity, gateway)    // signs users in with identity; APIs only through the gateway
    .WithDataProtectionKeys(infrastructure, redis) // sessions, carts, Data Protection keys shared by the replicas
    .WithEventBusUser(eventBus, consumes: [typeof(OrderSettled)]) // order status pushed to open pages
    .WithReplicas(2);
//#endif
//#if (workers)

// Workers: competing consumers, two replicas each
builder.AddWorker<Projects.Platform_Inventory>("inventory")
    .WithDatabaseOf(catalog, catalogDb)         // reserves stock in the catalog's database
    .WithEventBusConsumer(eventBus,             // competing consumers of the queue "inventory", as the broker user "inventory"
        consumes: [typeof(OrderPlaced), typeof(PaymentFailed), typeof(OrderExpired)],
        publishes: [typeof(StockReserved), typeof(StockRejected), typeof(StockReleased)])
    .WithKillDrill()                            // dashboard drill: SIGKILL a replica, started again after some seconds
    .WithReplicas(2);

builder.AddWorker<Projects.Platform_Payments>("payments")
    .WithDatabase(paymentsDb)
    .WithEventBusConsumer(eventBus,
        consumes: [typeof(StockReserved), typeof(OrderExpired)],
        publishes: [typeof(PaymentSucceeded), typeof(PaymentFailed)])
    .WithSettingsFrom("Payments")               // the simulated provider: --Payments:Latency, --Payments:FailureRate
    .WithDeclineDrill(infrastructure.StateDirectory) // dashboard drill: decline a share of charges for a while
    .WithKillDrill()
    .WithReplicas(2);
//#endif

// Load: the demo customer's visits through the gateway, started and paced from the dashboard (local runs only)
builder.AddLoadGenerator("loadgen", gateway, identity, infrastructure.StateDirectory);

builder.AddContainerImages();                   // dotnet run --project AppHost -- --operation publish --step publish-images
builder.AddKubernetesOutput();                  // dotnet run --project AppHost -- --operation publish --step publish-kubernetes
builder.Build().Run();
