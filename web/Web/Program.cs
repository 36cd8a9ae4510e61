using Platform.Web.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddSharedState();           // Redis: sign-in sessions, carts, one Data Protection key ring for every instance
builder.AddWebAuthentication();     // OpenID Connect with the identity service, tokens kept on the server
builder.AddGatewayApis();           // catalog and orders, through the gateway, with the user's token
builder.AddOrderUpdates();          // OrderSettled from the bus: live status on open pages
builder.AddWebPages();              // Blazor, interactive server rendering

var app = builder.Build();

app.UseWebPipeline();               // forwarded headers, error pages, security headers, authentication, antiforgery
app.MapWebApp();                    // static assets, /health, /account/*, the pages

app.Run();
