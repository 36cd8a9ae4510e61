using Platform.Gateway.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddEdgeAuthentication();    // tokens checked here as well as in each API
builder.AddEdgeRateLimits();        // per caller; sign-in budget shared by every gateway instance (Redis)
builder.AddEdgeLimits();            // body size, per-route timeouts
builder.AddProxy();                 // YARP: routes, load balancing, health checks, retries

var app = builder.Build();

app.UseGatewayPipeline();           // security headers, body limit, problem details, authentication, rate limits
app.MapDefaultEndpoints();
app.MapApiReference();              // every API's OpenAPI document and Scalar (development)
app.MapProxy();

app.Run();
