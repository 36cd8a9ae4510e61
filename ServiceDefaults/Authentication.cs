using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// JWT bearer validation for every API: issuer, audience, lifetime, signature and token type. Every endpoint
/// requires a token unless it is explicitly anonymous (health probes are).
/// </summary>
public static class AuthenticationExtensions
{
    /// <summary>
    /// Validates tokens issued for <paramref name="audience"/>. The authority is <c>Identity:Authority</c>
    /// when set (any OpenID Connect provider: Entra ID, Keycloak…), else the <c>identity</c> service
    /// found through service discovery. HTTPS metadata is required outside development.
    /// </summary>
    public static TBuilder AddJwtAuthentication<TBuilder>(this TBuilder builder, string audience) where TBuilder : IHostApplicationBuilder =>
        builder.AddJwtAuthentication([audience], requireTokenByDefault: true);

    /// <summary>
    /// Validates tokens issued for any of <paramref name="audiences"/> (the gateway checks every API's). Without
    /// <paramref name="requireTokenByDefault"/>, endpoints say themselves which policy they need.
    /// </summary>
    public static TBuilder AddJwtAuthentication<TBuilder>(this TBuilder builder, IReadOnlyCollection<string> audiences, bool requireTokenByDefault)
        where TBuilder : IHostApplicationBuilder
    {
        var configuration = builder.Configuration;
        var authority = configuration["Identity:Authority"]
            ?? configuration["services:identity:https:0"]
            ?? configuration["services:identity:http:0"]
            ?? throw new InvalidOperationException(
                "No token authority: reference the identity service from the AppHost, or set Identity:Authority.");

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.Authority = authority;
            options.TokenValidationParameters.ValidAudiences = configuration["Identity:Audience"] is { Length: > 0 } audience ? [audience] : audiences;
            // Outside development the keys come over HTTPS — unless the deployment says its cluster network carries them
            // (Identity:RequireHttpsMetadata=false: the Kubernetes output, where identity is http://identity:8080 inside).
            options.RequireHttpsMetadata = configuration.GetValue("Identity:RequireHttpsMetadata", !builder.Environment.IsDevelopment());
            options.MapInboundClaims = false; // keep the token's claim names: sub, scope, role
            // at+jwt (RFC 9068) from our provider; plain JWT from others such as Entra ID. An identity
            // token (also JWT) still fails: its audience is the client, never this API.
            options.TokenValidationParameters.ValidTypes = ["at+jwt", "JWT"];
            options.TokenValidationParameters.NameClaimType = "name";
            options.TokenValidationParameters.RoleClaimType = "role";
            options.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(30);
        });
        if (requireTokenByDefault)
        {
            builder.Services.AddAuthorizationBuilder()
                .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        }

        return builder;
    }

    /// <summary>The name of the policy that <see cref="AddScopePolicy"/> adds for <paramref name="scope"/>.</summary>
    public static string ScopePolicy(string scope) => $"scope:{scope}";

    /// <summary>A policy (<c>scope:{scope}</c>) that requires a token granted <paramref name="scope"/>.</summary>
    public static AuthorizationBuilder AddScopePolicy(this AuthorizationBuilder authorization, string scope) =>
        authorization.AddPolicy(ScopePolicy(scope), policy => policy
            .RequireAuthenticatedUser()
            .RequireAssertion(context => context.User.FindAll("scope")
                .SelectMany(claim => claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Contains(scope, StringComparer.Ordinal)));
}
