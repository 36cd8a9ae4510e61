using Platform.AppHost.Infrastructure;
using Platform.AppHost.Infrastructure.Postgres;

var builder = DistributedApplication.CreateBuilder(args);

// Shared infrastructure: containers when a container runtime answers, local processes otherwise.
var infrastructure = builder.AddPlatformInfrastructure();

var postgres = infrastructure.AddPostgres("postgres");  // primary + N streaming read replicas
var identityDb = postgres.AddDatabase("identitydb");
var catalogDb = postgres.AddDatabase("catalogdb");
var ordersDb = postgres.AddDatabase("ordersdb");

builder.Build().Run();
