using Platform.AppHost.Infrastructure;
using Platform.AppHost.Infrastructure.Postgres;

namespace Platform.AppHost.Services;

/// <summary>The identity service (OpenID Connect provider) and the migration step that prepares its database.</summary>
public static class IdentityService
{
    /// <summary>
    /// Adds <c>identity-migrations</c> (applies migrations, seeds roles and scopes, and in development the
    /// demo users and clients) and <c>identity</c>, which starts once the migrations have completed.
    /// Token keys and client secrets are parameters: generated and kept in the state folder in run mode.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddIdentityService(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, SharedInfrastructure infrastructure, ReplicatedPostgresDatabase database)
    {
        var signingKey = infrastructure.AddRsaKey($"{name}-signing-key");
        var encryptionKey = infrastructure.AddPassword($"{name}-encryption-key");
        var webSecret = infrastructure.AddPassword($"{name}-web-secret");
        var workersSecret = infrastructure.AddPassword($"{name}-workers-secret");
        var demoPassword = infrastructure.AddPassword($"{name}-demo-password");

        // The issuer is the service's own URL unless Identity:Issuer names its public one (behind a gateway, say).
        var identity = builder.AddService<Projects.Platform_Identity>(name);
        var issuer = builder.Configuration["Identity:Issuer"];
        return identity
            .WithMigrationStep(database, migrations => migrations
                .WithEnvironment("Identity__DemoPassword", demoPassword)
                .WithEnvironment("Identity__Clients__web__Secret", webSecret)
                .WithEnvironment("Identity__Clients__workers__Secret", workersSecret))
            .WithReference(database.Primary)
            .WithEnvironment(context => context.EnvironmentVariables["Identity__Issuer"] =
                issuer is { Length: > 0 } ? issuer : identity.GetEndpoint("http"))
            .WithEnvironment("Identity__SigningKey", signingKey)
            .WithEnvironment("Identity__EncryptionKey", encryptionKey);
    }
}
