using Platform.Identity.Connect;
using Platform.Identity.Data;
using Platform.Identity.Hosting;
using Platform.Identity.Users;

if (MigrationStep.IsRequested(args))
{
    // The AppHost runs this once before the service starts (identity-migrations).
    await MigrationStep.RunAsync<IdentityDb>(args, builder => builder.AddServiceDefaults().AddIdentityDatabase().AddSeedStores(),
        IdentitySeed.SeedAsync);
    return;
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddIdentityDatabase();  // identitydb on the Postgres primary
builder.AddAccounts();          // ASP.NET Core Identity: password rules, lockout
builder.AddTokenServer();       // OpenIddict: code + PKCE, client credentials, refresh, JWKS
builder.AddIdentityApi();       // users API, login and registration pages, attempts limited per address
builder.AddSharedKeys();        // Redis: one encrypted Data Protection key ring (login cookies, form tokens) for every start

var app = builder.Build();

app.UseApiPipeline(rateLimiter: true); // forwarded headers (gateway only), problem details, rate limits, authentication
app.MapApiDefaults();           // /health, /alive, the OpenAPI document
app.MapConnectEndpoints();
app.MapUsers();
app.MapRazorPages();

app.Run();
