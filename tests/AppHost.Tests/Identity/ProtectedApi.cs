using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Platform.AppHost.Tests.Identity;

/// <summary>
/// A small API that uses the ServiceDefaults JWT building block exactly as a service does, pointed
/// at the running identity service: <c>/items</c> needs any valid token for the <c>catalog</c>
/// audience, <c>/admin</c> also the <c>catalog.admin</c> scope, <c>/staff</c> the <c>admin</c> role.
/// </summary>
internal static class ProtectedApi
{
    public static async Task<WebApplication> StartAsync(Uri authority, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
        builder.WebHost.UseTestServer();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration["Identity:Authority"] = authority.ToString();
        builder.AddJwtAuthentication("catalog");
        builder.Services.AddAuthorizationBuilder().AddScopePolicy("catalog.admin")
            .AddPolicy("staff", policy => policy.RequireAuthenticatedUser().RequireRole("admin")); // the token's role claims count

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/items", () => "items");
        app.MapGet("/admin", () => "admin").RequireAuthorization(AuthenticationExtensions.ScopePolicy("catalog.admin"));
        app.MapGet("/staff", () => "staff").RequireAuthorization("staff");
        await app.StartAsync(ct);
        return app;
    }
}
