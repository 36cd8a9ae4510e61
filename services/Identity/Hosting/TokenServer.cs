using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using Platform.Identity.Data;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Platform.Identity.Hosting;

/// <summary>
/// The OpenID Connect server's settings: authorization code + PKCE, client credentials and refresh tokens; JWT access
/// tokens (signed, not encrypted, so any JwtBearer API can read them) with per-API audiences; keys from configuration
/// so that a restart keeps issued tokens valid.
/// </summary>
internal static class TokenServer
{
    public static void Configure(OpenIddictServerBuilder server, IdentitySettings settings, bool development)
    {
        server.SetAuthorizationEndpointUris("connect/authorize")
              .SetTokenEndpointUris("connect/token")
              .SetUserInfoEndpointUris("connect/userinfo")
              .SetEndSessionEndpointUris("connect/logout");
        server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange()
              .AllowClientCredentialsFlow()
              .AllowRefreshTokenFlow();
        server.RegisterPromptValues(PromptValues.Create); // registration instead of login
        server.RegisterScopes([Scopes.OpenId, Scopes.Profile, Scopes.Email, Scopes.Roles, Scopes.OfflineAccess, .. IdentitySeed.ApiScopes.Keys]);
        // Every lifetime set here, not left to the library's defaults.
        server.SetAccessTokenLifetime(settings.AccessTokenLifetime)
              .SetIdentityTokenLifetime(settings.AccessTokenLifetime)
              .SetAuthorizationCodeLifetime(TimeSpan.FromMinutes(5))
              .SetRefreshTokenLifetime(settings.RefreshTokenLifetime)
              .SetRefreshTokenReuseLeeway(settings.RefreshTokenReuseLeeway);
        if (settings.Issuer is not null)
        {
            server.SetIssuer(settings.Issuer);
        }
        else if (!development)
        {
            // Without it the issuer would be whatever Host header a request came with.
            throw new InvalidOperationException("Identity:Issuer (the public URL tokens are issued for) must be configured outside development.");
        }

        server.DisableAccessTokenEncryption();
        AddKeys(server, settings, development);

        var aspNetCore = server.UseAspNetCore()
            .EnableAuthorizationEndpointPassthrough()
            .EnableTokenEndpointPassthrough()
            .EnableUserInfoEndpointPassthrough()
            .EnableEndSessionEndpointPassthrough();
        if (development)
        {
            aspNetCore.DisableTransportSecurityRequirement(); // plain http on localhost
        }
    }

    private static void AddKeys(OpenIddictServerBuilder server, IdentitySettings settings, bool development)
    {
        if (settings.SigningKey is { Length: > 0 } && settings.EncryptionKey is { Length: > 0 })
        {
            var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(settings.SigningKey), out _);
            var keyId = Base64UrlEncoder.Encode(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()))[..16];
            server.AddSigningKey(new RsaSecurityKey(rsa) { KeyId = keyId });
            server.AddEncryptionKey(new SymmetricSecurityKey(SHA256.HashData(Encoding.UTF8.GetBytes(settings.EncryptionKey))));
        }
        else if (development)
        {
            // Standalone runs without the AppHost: tokens die with the process.
            server.AddEphemeralSigningKey().AddEphemeralEncryptionKey();
        }
        else
        {
            throw new InvalidOperationException("Identity:SigningKey and Identity:EncryptionKey must be configured outside development.");
        }
    }
}
