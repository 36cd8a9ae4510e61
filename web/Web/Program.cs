using Platform.Web.Components;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRedisClient("redis");       // sign-in sessions, carts, Data Protection keys
builder.AddSharedDataProtection();     // one key ring for every instance
builder.AddWebAuthentication();        // OpenID Connect with the identity service, tokens kept on the server
builder.AddGatewayApis();              // catalog and orders, through the gateway, with the user's token
builder.AddOrderUpdates();             // OrderSettled from the bus: live status on open pages
builder.Services.AddRazorComponents().AddInteractiveServerComponents();

var app = builder.Build();

app.UseForwardedHeaders();
app.UseExceptionHandler("/error", createScopeForErrors: true);
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseSecurityHeaders();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapStaticAssets();
app.MapDefaultEndpoints();
app.MapAccountEndpoints();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

app.Run();
