using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Web.Api;
using Platform.Web.Cart;
using Platform.Web.Components;
using Platform.Web.Orders;

namespace Platform.Web.Hosting;

/// <summary>How the web app is wired: shared state in Redis, sign-in, the gateway's APIs, live order updates and the pages.</summary>
public static class WebExtensions
{
    /// <summary>
    /// Redis holds what every instance must share: sign-in sessions (with their tokens), carts, and one Data Protection
    /// key ring, encrypted — a cookie or form token issued by one instance works on the others.
    /// </summary>
    public static IHostApplicationBuilder AddSharedState(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient("redis");
        return builder.AddSharedDataProtection("web");
    }

    /// <summary>
    /// Signing in with the identity service (<see cref="SignIn"/>): OpenID Connect authorization code + PKCE, a cookie
    /// session whose tokens stay on the server (Redis), sign-out that ends the identity session too.
    /// </summary>
    public static IHostApplicationBuilder AddWebAuthentication(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(OidcSettings.Section);
        builder.Services.Configure<OidcSettings>(section);
        builder.Services.AddSingleton<RedisTicketStore>();
        builder.Services.AddSingleton<IPostConfigureOptions<CookieAuthenticationOptions>, UseTicketStore>();
        builder.Services.AddHttpClient(nameof(AccessTokenClient));
        builder.Services.AddSingleton<AccessTokenClient>();
        builder.Services.AddScoped<UserTokens>();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddAuthentication(options =>
            {
                options.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                options.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
            })
            .AddCookieAndOpenIdConnect(section.Get<OidcSettings>() ?? new OidcSettings(), builder.Environment.IsDevelopment());
        builder.Services.AddHttpClient(OpenIdConnectDefaults.AuthenticationScheme); // with service discovery, for the metadata address
        builder.Services.AddOptions<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme)
            .Configure<IHttpClientFactory>((options, clients) => options.Backchannel = clients.CreateClient(OpenIdConnectDefaults.AuthenticationScheme));
        builder.Services.AddAuthorization();
        return builder;
    }

    /// <summary>The catalog and orders APIs, only ever through the gateway (service discovery name <c>gateway</c>).</summary>
    public static IHostApplicationBuilder AddGatewayApis(this IHostApplicationBuilder builder)
    {
        // A person is waiting: one quick retry of reads, then the page says what is wrong. Writes are not repeated
        // here (an order repeats with the same Idempotency-Key when the user tries again).
#pragma warning disable EXTEXP0001 // experimental, but the supported way to replace the defaults' handler for one client
        builder.Services.AddHttpClient<GatewayApi>(http => http.BaseAddress = new Uri("https+http://gateway"))
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(options =>
            {
                options.Retry.MaxRetryAttempts = 1;
                options.Retry.Delay = TimeSpan.FromMilliseconds(200);
                options.Retry.DisableForUnsafeHttpMethods();
                options.AttemptTimeout.Timeout = TimeSpan.FromSeconds(10);
                options.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(20);
                options.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(20);
            });
#pragma warning restore EXTEXP0001
        builder.Services.AddScoped<ReadYourWrites>();
        builder.Services.AddScoped<CatalogClient>();
        builder.Services.AddScoped<OrdersClient>();
        builder.Services.AddSingleton<CartStore>();
        return builder;
    }

    /// <summary><see cref="OrderSettled"/> from the bus on a queue of this instance's own, to the pages of that order's buyer.</summary>
    public static IHostApplicationBuilder AddOrderUpdates(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<OrderUpdates>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddEventBus("eventbus", consumer: "web").EachInstance()
            .AddSubscription<OrderSettled, OrderSettledHandler>();
        return builder;
    }

    /// <summary>Blazor pages rendered on the server, interactive over one WebSocket per open page (a circuit).</summary>
    public static IHostApplicationBuilder AddWebPages(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        return builder;
    }

    /// <summary>
    /// Forwarded headers (from the gateway or an ingress only), error and not-found pages of the app itself, security
    /// headers, authentication and antiforgery.
    /// </summary>
    public static WebApplication UseWebPipeline(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseExceptionHandler("/error", createScopeForErrors: true);
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseSecurityHeaders();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    /// <summary>Static assets, <c>/health</c> and <c>/alive</c>, <c>/account/*</c> and the pages.</summary>
    public static WebApplication MapWebApp(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapDefaultEndpoints();
        app.MapAccountEndpoints();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
