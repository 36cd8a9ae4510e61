using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Platform.Identity.Data;

/// <summary>
/// The migration step's seed (<c>Platform.Identity migrate</c>): after the EF Core migrations, makes sure the roles
/// and API scopes exist and, in development, the demo users and client applications.
/// </summary>
public static class IdentitySeed
{
    private static readonly string[] Roles = ["admin", "customer"];

    /// <summary>API scopes and the audience (resource) a token for them is issued to.</summary>
    public static readonly IReadOnlyDictionary<string, string> ApiScopes = new Dictionary<string, string>
    {
        ["catalog"] = "catalog",
        ["catalog.admin"] = "catalog",
        ["orders"] = "orders",
        ["orders.admin"] = "orders",
        ["users"] = "identity",
    };

    /// <summary>Run by the migration step once the migrations are applied, in the same scope.</summary>
    public static async Task SeedAsync(IdentityDb _, IServiceProvider provider, CancellationToken ct)
    {
        var roles = provider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                Check(await roles.CreateAsync(new IdentityRole(role)));
            }
        }

        var scopes = provider.GetRequiredService<IOpenIddictScopeManager>();
        foreach (var (name, resource) in ApiScopes)
        {
            if (await scopes.FindByNameAsync(name, ct) is null)
            {
                await scopes.CreateAsync(new OpenIddictScopeDescriptor { Name = name, Resources = { resource } }, ct);
            }
        }

        if (provider.GetRequiredService<IHostEnvironment>().IsDevelopment())
        {
            var settings = provider.GetRequiredService<IOptions<IdentitySettings>>().Value;
            await SeedDemoUsersAsync(provider.GetRequiredService<UserManager<IdentityUser>>(), settings);
            await SeedClientsAsync(provider.GetRequiredService<IOpenIddictApplicationManager>(), settings, ct);
        }
    }

    private static async Task SeedDemoUsersAsync(UserManager<IdentityUser> users, IdentitySettings settings)
    {
        if (settings.DemoPassword is not { Length: > 0 } password)
        {
            return; // no generated password handed over: no demo accounts
        }

        foreach (var demo in settings.DemoUsers)
        {
            var user = await users.FindByEmailAsync(demo.Email);
            if (user is null)
            {
                user = new IdentityUser { UserName = demo.Email, Email = demo.Email, EmailConfirmed = true };
                Check(await users.CreateAsync(user, password));
            }
            else if (!await users.CheckPasswordAsync(user, password))
            {
                // Keep the demo password in step with the (regenerable) parameter; only when it changed, since a new
                // password also means a new security stamp, which ends the user's refresh tokens.
                Check(await users.RemovePasswordAsync(user));
                Check(await users.AddPasswordAsync(user, password));
            }

            var missing = demo.Roles.Except(await users.GetRolesAsync(user)).ToArray();
            Check(await users.AddToRolesAsync(user, missing));
        }
    }

    private static async Task SeedClientsAsync(IOpenIddictApplicationManager applications, IdentitySettings settings, CancellationToken ct)
    {
        foreach (var (clientId, client) in settings.Clients.Where(c => c.Value.Secret is { Length: > 0 } || c.Value.Public))
        {
            var descriptor = Describe(clientId, client);
            if (await applications.FindByClientIdAsync(clientId, ct) is { } existing)
            {
                await applications.UpdateAsync(existing, descriptor, ct);
            }
            else
            {
                await applications.CreateAsync(descriptor, ct);
            }
        }
    }

    private static OpenIddictApplicationDescriptor Describe(string clientId, IdentitySettings.ClientSettings client)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientSecret = client.Public ? null : client.Secret,
            ClientType = client.Public ? ClientTypes.Public : ClientTypes.Confidential,
            ConsentType = ConsentTypes.Implicit, // first-party clients: no consent screen
            DisplayName = client.DisplayName,
            Permissions = { Permissions.Endpoints.Token },
        };

        if (client.RedirectUris.Count > 0)
        {
            descriptor.RedirectUris.UnionWith(client.RedirectUris);
            descriptor.PostLogoutRedirectUris.UnionWith(client.PostLogoutRedirectUris);
            descriptor.Permissions.UnionWith(
            [
                Permissions.Endpoints.Authorization, Permissions.Endpoints.EndSession,
                Permissions.GrantTypes.AuthorizationCode, Permissions.GrantTypes.RefreshToken,
                Permissions.ResponseTypes.Code,
            ]);
            descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
        }

        if (client.RedirectUris.Count == 0 || (client.ClientCredentials && !client.Public))
        {
            descriptor.Permissions.Add(Permissions.GrantTypes.ClientCredentials);
        }

        descriptor.Permissions.UnionWith(client.Scopes.Select(scope => Permissions.Prefixes.Scope + scope));
        return descriptor;
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }
}
