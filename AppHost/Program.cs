using Platform.AppHost.Infrastructure;
using Platform.AppHost.Infrastructure.Postgres;
using Platform.AppHost.Infrastructure.RabbitMQ;
using Platform.AppHost.Infrastructure.Redis;
using Platform.AppHost.Services;

var builder = DistributedApplication.CreateBuilder(args);

// Shared infrastructure: containers when a container runtime answers, local processes otherwise.
var infrastructure = builder.AddPlatformInfrastructure();

var postgres = infrastructure.AddPostgres("postgres");  // primary + N streaming read replicas
var identityDb = postgres.AddDatabase("identitydb");
var catalogDb = postgres.AddDatabase("catalogdb");
var ordersDb = postgres.AddDatabase("ordersdb");

var redis = infrastructure.AddRedis("redis");           // cache, output cache, data-protection keys
var eventBus = infrastructure.AddRabbitMQ("eventbus");  // integration events

// Services
var identity = builder.AddIdentityService("identity", infrastructure, identityDb);  // OpenID Connect provider

builder.Build().Run();
