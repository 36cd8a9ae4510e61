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
        var demoPassword = infrastructure.AddPassword(DemoPasswordOf(name));

        return builder.AddService<Projects.Platform_Identity>(name).WithDirectEndpoint()
            .WithMigrationStep(database, migrations => migrations
                .WithEnvironment("Identity__DemoPassword", demoPassword)
                .WithEnvironment("Identity__Clients__web__Secret", webSecret)
                .WithEnvironment("Identity__Clients__workers__Secret", workersSecret))
            .WithLogin(database, database.Owner(name), replicas: false).WithSettingsFrom("Database")
            .WithSettingsFrom("Identity") // say --Identity:AccessTokenLifetime=00:05:00
            .WithEnvironment("Identity__SigningKey", signingKey)
            .WithEnvironment("Identity__EncryptionKey", encryptionKey);
    }

    /// <summary>The demo users' password (generated, in the state folder), for a local tool that signs in as one of them.</summary>
    public static IResourceBuilder<ParameterResource> DemoPassword(this IResourceBuilder<ProjectResource> identity) =>
        identity.ApplicationBuilder.CreateResourceBuilder(identity.ApplicationBuilder.Resources.OfType<ParameterResource>()
            .Single(p => p.Name == DemoPasswordOf(identity.Resource.Name)));

    private static string DemoPasswordOf(string identity) => $"{identity}-demo-password";

    /// <summary>
    /// Makes the public origin the issuer: tokens say <c>iss</c> = the gateway's URL however they were fetched (through
    /// the gateway or, from inside, straight from identity), and discovery lists every endpoint under it, so that a
    /// browser and a script need one origin. <c>Identity:Issuer</c> in the AppHost's configuration overrides it (a pinned
    /// one in tests); a deployment gives the gateway's public URL in the parameter <c>identity-issuer</c>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithIssuer(this IResourceBuilder<ProjectResource> identity,
        IResourceBuilder<ProjectResource> gateway)
    {
        var builder = identity.ApplicationBuilder;
        var issuer = builder.Configuration["Identity:Issuer"];
        if (builder.ExecutionContext.IsPublishMode && issuer is not { Length: > 0 })
        {
            // Where the gateway is public is the deployment's to say (its ingress host, behind TLS), like its host names.
            return identity.WithEnvironment("Identity__Issuer", builder.AddParameter($"{identity.Resource.Name}-issuer"));
        }

        return identity.WithEnvironment(context => context.EnvironmentVariables["Identity__Issuer"] =
            issuer is { Length: > 0 } ? issuer : gateway.GetEndpoint("http"));
    }
}
