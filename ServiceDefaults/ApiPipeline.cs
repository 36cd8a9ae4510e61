using Microsoft.AspNetCore.Builder;

namespace Microsoft.Extensions.Hosting;

/// <summary>The request pipeline every API behind the gateway shares (identity, catalog, orders).</summary>
public static class ApiPipeline
{
    /// <summary>
    /// Forwarded headers (believed from the gateway only), problem details for exceptions and bare status codes, then
    /// authentication and authorization — with the rate limiter before them when the service has one.
    /// </summary>
    public static WebApplication UseApiPipeline(this WebApplication app, bool rateLimiter = false)
    {
        app.UseForwardedHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (rateLimiter)
        {
            app.UseRateLimiter();
        }

        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary>The endpoints every API has: <c>/health</c>, <c>/alive</c> and its OpenAPI document.</summary>
    public static WebApplication MapApiDefaults(this WebApplication app)
    {
        app.MapDefaultEndpoints();
        app.MapApiDocumentation();
        return app;
    }
}
