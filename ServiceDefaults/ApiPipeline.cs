using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;

namespace Microsoft.Extensions.Hosting;

/// <summary>The request pipeline every API behind the gateway shares (identity, catalog, orders).</summary>
public static class ApiPipeline
{
    /// <summary>
    /// The largest request body an API reads (Kestrel's default is 30 MB): its largest request, an order of 50 lines or
    /// a token request, is a few KiB. A larger body is a 413 problem as soon as the service starts reading it.
    /// </summary>
    public const long MaxRequestBodySize = 64 * 1024;

    /// <summary>
    /// The body size limit, forwarded headers (believed from the gateway only), problem details for exceptions and bare
    /// status codes, then authentication and authorization — with the rate limiter before them when the service has one.
    /// </summary>
    public static WebApplication UseApiPipeline(this WebApplication app, bool rateLimiter = false)
    {
        app.Use((context, next) =>
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = MaxRequestBodySize;
            }

            return next(context);
        });
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
