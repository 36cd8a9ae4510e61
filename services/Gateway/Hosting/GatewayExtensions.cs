using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Platform.Gateway.Proxy;
using StackExchange.Redis;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;

namespace Platform.Gateway.Hosting;

/// <summary>How the gateway is put together: edge checks first, then YARP.</summary>
public static class GatewayExtensions
{
    /// <summary>The APIs behind the gateway, by route: each route's token must be issued for that API (its audience).</summary>
    public static readonly string[] ApiAudiences = ["catalog", "orders"];

    /// <summary>
    /// JWT validation at the edge with the same building block as the APIs: a request for <c>/api/catalog/…</c> needs a
    /// valid token for the catalog audience before it costs the catalog anything. Identity's own routes stay open:
    /// the sign-in pages and the token endpoint are how a caller gets a token.
    /// </summary>
    public static IHostApplicationBuilder AddEdgeAuthentication(this IHostApplicationBuilder builder)
    {
        builder.AddJwtAuthentication([.. ApiAudiences, "identity"], requireTokenByDefault: false);
        builder.Services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, CachedTokenValidation.Use);
        var authorization = builder.Services.AddAuthorizationBuilder();
        foreach (var audience in ApiAudiences)
        {
            authorization.AddPolicy(audience, policy => policy.RequireAuthenticatedUser().RequireClaim("aud", audience));
        }

        return builder;
    }

    /// <summary>
    /// Budgets per caller and for signing in (<see cref="EdgeRateLimits"/>); the sign-in count is shared by every gateway
    /// instance through Redis, which is an optimisation: while it is down each instance counts on its own.
    /// </summary>
    public static IHostApplicationBuilder AddEdgeRateLimits(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient("redis", settings => settings.DisableHealthChecks = true, options =>
        {
            options.AbortOnConnectFail = false;
            options.BacklogPolicy = BacklogPolicy.FailFast;
        });
        // Connected while starting, not on the first shared count: what arrives before the connection is counted per instance.
        builder.Services.AddHostedService<RedisConnectionAtStart>();
        var limits = builder.Configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        builder.Services.AddRateLimiter(options => EdgeRateLimits.Configure(options, limits));
        return builder;
    }

    /// <summary>Request body limit (413 beyond it) and per-route timeouts (504).</summary>
    public static IHostApplicationBuilder AddEdgeLimits(this IHostApplicationBuilder builder)
    {
        var maxBody = builder.Configuration.GetValue<long?>("Gateway:MaxRequestBodySize") ?? 64 * 1024;
        builder.Services.Configure<KestrelServerOptions>(options => options.Limits.MaxRequestBodySize = maxBody);
        builder.Services.AddRequestTimeouts();
        return builder;
    }

    /// <summary>
    /// YARP from the <c>ReverseProxy</c> section; destinations such as <c>https+http://catalog</c> resolve through service
    /// discovery, one destination per instance; connections leave from the gateway's own loopback address.
    /// </summary>
    public static IHostApplicationBuilder AddProxy(this IHostApplicationBuilder builder)
    {
        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddServiceDiscoveryDestinationResolver();
        builder.Services.AddSingleton<IForwarderHttpClientFactory, LoopbackSourceHttpClientFactory>();
        builder.Services.AddSingleton<ProxyMetrics>(); // meter Platform.Gateway: exported with the services' own (ServiceDefaults)
        // Passive health keeps an instance out for max(ReactivationPeriod, DetectionWindowSize): 60 s by default, too long
        // for an instance that was merely restarted (active checks see it healthy within seconds).
        builder.Services.Configure<TransportFailureRateHealthPolicyOptions>(options =>
        {
            options.DetectionWindowSize = TimeSpan.FromSeconds(10);
            options.MinimalTotalCountThreshold = 5;
        });
        return builder;
    }

    /// <summary>
    /// The edge's request pipeline: security headers, the body limit, problem details; the rate limiter after
    /// authentication (a caller with a valid token pays by its subject), then authorization and per-route timeouts.
    /// </summary>
    public static WebApplication UseGatewayPipeline(this WebApplication app)
    {
        app.UseSecurityHeaders();
        app.UseBodyLimit();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseRequestTimeouts();
        return app;
    }

    /// <summary>
    /// The proxy pipeline: a failed idempotent request is tried once more on another instance, load balancing picks the
    /// instance, passive health checks count transport failures.
    /// </summary>
    public static WebApplication MapProxy(this WebApplication app)
    {
        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<ProxyMetricsMiddleware>();
            proxy.UseMiddleware<RetryOnAnotherDestination>();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        return app;
    }

    /// <summary>
    /// A body declared larger than the limit is refused (413) before anything is forwarded; a chunked one that grows
    /// past it is cut off by Kestrel's limit.
    /// </summary>
    private static WebApplication UseBodyLimit(this WebApplication app)
    {
        var maxBody = app.Configuration.GetValue<long?>("Gateway:MaxRequestBodySize") ?? 64 * 1024;
        app.Use(async (context, next) =>
        {
            if (context.Request.ContentLength > maxBody)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new()
                {
                    HttpContext = context,
                    ProblemDetails = { Status = 413, Title = "Request body too large", Detail = $"Request bodies are limited to {maxBody} bytes." },
                });
                return;
            }

            await next(context);
        });
        return app;
    }

    private sealed class RedisConnectionAtStart(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            services.GetRequiredService<IConnectionMultiplexer>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
