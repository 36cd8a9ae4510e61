using Platform.Identity.Connect;
using Platform.Identity.Data;
using Platform.Identity.Hosting;
using Platform.Identity.Users;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApiDocumentation();   // OpenAPI document with scopes and problem responses
builder.AddIdentityDatabase();    // identitydb on the Postgres primary
builder.AddAccounts();            // ASP.NET Core Identity: password rules, lockout
builder.AddTokenServer();         // OpenIddict: code + PKCE, client credentials, refresh, JWKS
builder.AddLoginRateLimiting();
builder.Services.AddRazorPages(); // the login and registration pages

var app = builder.Build();

if (MigrationStep.IsRequested(args))
{
    // The AppHost runs this once before the service starts (identity-migrations).
    await app.Services.MigrateAsync();
    return;
}

app.UseForwardedHeaders();       // client address, host and path prefix, from the gateway only
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseRateLimiter();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapApiDocumentation();
app.MapConnectEndpoints();
app.MapUsers();
app.MapRazorPages();

app.Run();
