using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.AppHost.Services;

/// <summary>The web app: a Blazor Web App that signs users in with identity and calls the APIs through the gateway.</summary>
public static class WebResources
{
    /// <summary>
    /// Adds the web app as the identity service's <c>web</c> client: its secret, and its sign-in and sign-out callbacks at
    /// its actual address (registered by identity's migration step, so a run on other ports signs in too). Users reach it
    /// on its own port (5200); it reaches the APIs and the sign-in endpoints only through <paramref name="gateway"/>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddWebApp(this IDistributedApplicationBuilder builder, [ResourceName] string name,
        IResourceBuilder<ProjectResource> identity, IResourceBuilder<ProjectResource> gateway)
    {
        var secret = builder.Resources.OfType<ParameterResource>().Single(p => p.Name == $"{identity.Resource.Name}-web-secret");
        var web = builder.AddService<Projects.Platform_Web>(name)
            .WithReference(gateway).WaitFor(gateway)
            .WithReference(identity)    // discovery, keys and tokens server to server; browsers sign in through the gateway
            .WithEnvironment("Oidc__Authority", gateway.GetEndpoint("http"))
            .WithEnvironment("Oidc__ClientSecret", builder.CreateResourceBuilder(secret))
            .WithExternalHttpEndpoints()
            .WithAllowedHosts();
        var announced = 0;
        web.OnResourceReady((resource, ready, _) =>
        {
            // Once, next to the dashboard's login line (every replica becomes ready).
            if (Interlocked.Exchange(ref announced, 1) == 0)
            {
                ready.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Platform.AppHost")
                    .LogInformation("Web app (shop, back office) at {Url}", resource.GetEndpoint("http").Url);
            }

            return Task.CompletedTask;
        });

        var url = web.GetEndpoint("http");
        identity.MigrationStep().WithEnvironment("Identity__Clients__web__RedirectUris__1", ReferenceExpression.Create($"{url}/signin-oidc"))
            .WithEnvironment("Identity__Clients__web__PostLogoutRedirectUris__1", ReferenceExpression.Create($"{url}/signout-callback-oidc"));
        return web;
    }
}
