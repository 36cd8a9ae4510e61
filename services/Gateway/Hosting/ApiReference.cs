using Scalar.AspNetCore;

namespace Platform.Gateway.Hosting;

/// <summary>
/// The APIs' own OpenAPI documents, served through the gateway (<c>/api/{api}/openapi/v1.json</c>, routed like the
/// API), and in development an interactive reference at <c>/scalar</c> whose "try it" signs in against our identity
/// service (client <c>scalar</c>: authorization code + PKCE, no secret) and calls the APIs through the gateway.
/// </summary>
public static class ApiReference
{
    /// <summary>The documented APIs: name → path prefix at the gateway.</summary>
    public static readonly IReadOnlyDictionary<string, string> Apis = new Dictionary<string, string>
    {
        ["catalog"] = "/api/catalog",
        ["orders"] = "/api/orders",
        ["identity"] = "/api/identity",
    };

    public const string ClientId = "scalar";

    public static WebApplication MapApiReference(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            return app;
        }

        app.MapScalarApiReference("/scalar", (options, context) =>
        {
            options.WithTitle("Platform APIs");
            foreach (var (name, prefix) in Apis)
            {
                options.AddDocument(name, name, $"{prefix}/openapi/v1.json", isDefault: name == "catalog");
            }

            options.AddPreferredSecuritySchemes([ApiDocumentation.SchemeName])
                .AddAuthorizationCodeFlow(ApiDocumentation.SchemeName, flow =>
                {
                    flow.ClientId = ClientId;
                    flow.Pkce = Pkce.Sha256;
                    flow.RedirectUri = $"{context.Request.Scheme}://{context.Request.Host}/scalar/";
                });
        }).AllowAnonymous();
        return app;
    }
}
