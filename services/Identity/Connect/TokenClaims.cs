using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Platform.Identity.Connect;

/// <summary>What goes into the tokens OpenIddict issues: claims, granted scopes, audiences.</summary>
internal static class TokenClaims
{
    /// <summary>Scopes a user is granted only with a role: a client may ask for them on anyone's behalf.</summary>
    private static readonly Dictionary<string, string> RoleOnlyScopes = new(StringComparer.Ordinal) { ["catalog.admin"] = "admin", ["orders.admin"] = "admin" };

    /// <summary>
    /// The user's security stamp when they signed in. It goes into no token a client can read, only into the
    /// (encrypted) authorization code and refresh token: a code or refresh token from before a password change is refused.
    /// </summary>
    public const string SecurityStamp = "security_stamp";

    public static async Task<ClaimsPrincipal> ForUserAsync(IdentityUser user, UserManager<IdentityUser> users,
        IEnumerable<string> scopes, IOpenIddictScopeManager scopeManager, CancellationToken ct)
    {
        var roles = await users.GetRolesAsync(user);
        var identity = NewIdentity();
        identity.SetClaim(SecurityStamp, await users.GetSecurityStampAsync(user))
                .SetClaim(Claims.Subject, user.Id)
                .SetClaim(Claims.Name, user.UserName)
                .SetClaim(Claims.Email, user.Email)
                .SetClaims(Claims.Role, [.. roles]);
        var granted = scopes.Where(scope => !RoleOnlyScopes.TryGetValue(scope, out var role) || roles.Contains(role));
        return await GrantAsync(identity, granted, scopeManager, ct);
    }

    public static Task<ClaimsPrincipal> ForClientAsync(string clientId, string? displayName,
        IEnumerable<string> scopes, IOpenIddictScopeManager scopeManager, CancellationToken ct)
    {
        var identity = NewIdentity();
        identity.SetClaim(Claims.Subject, clientId).SetClaim(Claims.Name, displayName ?? clientId);
        // A client has no roles: a scope that needs one is never granted to it, whatever its permissions.
        return GrantAsync(identity, scopes.Where(scope => !RoleOnlyScopes.ContainsKey(scope)), scopeManager, ct);
    }

    /// <summary>Refreshes a user's claims (roles may have changed since the code or refresh token was issued).</summary>
    public static async Task<ClaimsPrincipal> RefreshAsync(ClaimsPrincipal principal, IdentityUser user, UserManager<IdentityUser> users)
    {
        var identity = (ClaimsIdentity)principal.Identity!;
        var roles = await users.GetRolesAsync(user);
        identity.SetClaim(Claims.Name, user.UserName)
                .SetClaim(Claims.Email, user.Email)
                .SetClaims(Claims.Role, [.. roles]);
        identity.SetScopes(identity.GetScopes().Where(scope => !RoleOnlyScopes.TryGetValue(scope, out var role) || roles.Contains(role)));
        identity.SetDestinations(Destinations);
        return principal;
    }

    private static ClaimsIdentity NewIdentity() =>
        new(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);

    private static async Task<ClaimsPrincipal> GrantAsync(ClaimsIdentity identity, IEnumerable<string> scopes,
        IOpenIddictScopeManager scopeManager, CancellationToken ct)
    {
        identity.SetScopes(scopes);
        var resources = new List<string>();
        await foreach (var resource in scopeManager.ListResourcesAsync(identity.GetScopes(), ct))
        {
            resources.Add(resource);
        }

        identity.SetResources(resources);
        identity.SetDestinations(Destinations);
        return new ClaimsPrincipal(identity);
    }

    // Claims go to the access token; profile claims go to the identity token only when its scope was granted.
    private static IEnumerable<string> Destinations(Claim claim)
    {
        if (claim.Type == SecurityStamp)
        {
            yield break;
        }

        yield return OpenIddictConstants.Destinations.AccessToken;
        var scope = claim.Type switch
        {
            Claims.Name => Scopes.Profile,
            Claims.Email => Scopes.Email,
            Claims.Role => Scopes.Roles,
            _ => null,
        };
        if (scope is not null && claim.Subject!.HasScope(scope))
        {
            yield return OpenIddictConstants.Destinations.IdentityToken;
        }
    }
}
