using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Every API describes itself in an OpenAPI 3.1 document (<c>/openapi/v1.json</c>, built into .NET): operations, request
/// and response schemas, and security — an OAuth2 authorization-code scheme pointing at our OpenID Connect provider,
/// each operation with the scopes its policy asks for and the problem responses (401, 403, 429) every caller can get.
/// </summary>
public static class ApiDocumentation
{
    /// <summary>The name of the security scheme in every document.</summary>
    public const string SchemeName = "oauth2";

    public static TBuilder AddApiDocumentation<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer<OAuthSchemeTransformer>();
            options.AddOperationTransformer<SecurityRequirementTransformer>();
        });
        return builder;
    }

    /// <summary>Maps the document (no token needed: it is how a caller learns which token to get).</summary>
    public static WebApplication MapApiDocumentation(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        return app;
    }

    /// <summary>The scopes an endpoint's policies (<c>scope:{name}</c>) require.</summary>
    public static IReadOnlyList<string> ScopesOf(IEnumerable<object> endpointMetadata) =>
        [.. endpointMetadata.OfType<IAuthorizeData>()
            .Select(a => a.Policy)
            .Where(p => p is not null && p.StartsWith(ScopePrefix, StringComparison.Ordinal))
            .Select(p => p![ScopePrefix.Length..])
            .Distinct()];

    private static readonly string ScopePrefix = AuthenticationExtensions.ScopePolicy("");

    private sealed class OAuthSchemeTransformer(IServiceProvider services, IConfiguration configuration) : IOpenApiDocumentTransformer
    {
        public async Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
        {
            var (authorize, token) = await ProviderEndpointsAsync(cancellationToken);
            var scopes = context.DescriptionGroups.SelectMany(g => g.Items)
                .SelectMany(d => ScopesOf(d.ActionDescriptor.EndpointMetadata))
                .Distinct()
                .Order(StringComparer.Ordinal)
                .ToDictionary(s => s, s => $"the {s} scope");
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.OAuth2,
                Description = "Access tokens from the platform's OpenID Connect provider (authorization code + PKCE for people, client credentials for programs).",
                Flows = new OpenApiOAuthFlows
                {
                    AuthorizationCode = new OpenApiOAuthFlow { AuthorizationUrl = authorize, TokenUrl = token, Scopes = scopes },
                    ClientCredentials = new OpenApiOAuthFlow { TokenUrl = token, Scopes = scopes },
                },
            };
        }

        /// <summary>
        /// An endpoint as a browser reaches it. Our provider is fetched at its internal address and names endpoints under
        /// that address; its issuer is the public origin (the gateway), so endpoints move there. Providers fetched at
        /// their public address (Entra ID, Keycloak) keep theirs.
        /// </summary>
        private static Uri Public(string endpoint, string? authority, string? issuer)
        {
            var uri = new Uri(endpoint);
            if (authority is null || issuer is null || !Uri.TryCreate(authority, UriKind.Absolute, out var fetchedFrom) ||
                !Uri.TryCreate(issuer, UriKind.Absolute, out var publicOrigin) ||
                Uri.Compare(uri, fetchedFrom, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0)
            {
                return uri;
            }

            return new UriBuilder(uri) { Scheme = publicOrigin.Scheme, Host = publicOrigin.Host, Port = publicOrigin.Port }.Uri;
        }

        /// <summary>From the provider's discovery document when the API validates JWTs itself; the issuer's own paths in the provider.</summary>
        private async Task<(Uri Authorize, Uri Token)> ProviderEndpointsAsync(CancellationToken cancellationToken)
        {
            var jwt = services.GetService<IOptionsMonitor<JwtBearerOptions>>()?.Get(JwtBearerDefaults.AuthenticationScheme);
            if (jwt?.ConfigurationManager is { } discovery)
            {
                try
                {
                    var provider = await discovery.GetConfigurationAsync(cancellationToken);
                    return (Public(provider.AuthorizationEndpoint, jwt.Authority, provider.Issuer), Public(provider.TokenEndpoint, jwt.Authority, provider.Issuer));
                }
                catch (InvalidOperationException)
                {
                    // Provider unreachable right now: fall back to the conventional paths under the authority.
                }
            }

            var issuer = new Uri((jwt?.Authority ?? configuration["Identity:Issuer"] ?? "http://localhost/").TrimEnd('/') + "/");
            return (new Uri(issuer, "connect/authorize"), new Uri(issuer, "connect/token"));
        }
    }

    private sealed class SecurityRequirementTransformer : IOpenApiOperationTransformer
    {
        public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            operation.Responses ??= [];
            var problem = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), cancellationToken: cancellationToken);
            Add(operation, problem, StatusCodes.Status429TooManyRequests, "Too many requests from this caller (at the gateway); see Retry-After.");
            if (metadata.OfType<IAllowAnonymous>().Any() || !metadata.OfType<IAuthorizeData>().Any())
            {
                return;
            }

            var scopes = ScopesOf(metadata);
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [.. scopes],
            });
            Add(operation, problem, StatusCodes.Status401Unauthorized, "No valid access token for this API.");
            Add(operation, problem, StatusCodes.Status403Forbidden,
                scopes.Count > 0 ? $"The token lacks the scope {string.Join(", ", scopes)}, or the user the role." : "The user lacks the role.");
        }

        private static void Add(OpenApiOperation operation, IOpenApiSchema schema, int status, string description) =>
            operation.Responses!.TryAdd(status.ToString(System.Globalization.CultureInfo.InvariantCulture), new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = schema } },
            });
    }
}
