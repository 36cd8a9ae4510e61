using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.AppHost.Tests.Identity;

/// <summary>Hand-made access tokens, each wrong in exactly one way (or in none, as the control).</summary>
internal static class TestTokens
{
    public static string Sign(RSA key, string issuer, string audience, string scope, DateTime expires, string type = "at+jwt")
    {
        var keyId = Base64UrlEncoder.Encode(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = expires.AddMinutes(-10),
            NotBefore = expires.AddMinutes(-10),
            Expires = expires,
            TokenType = type,
            Subject = new ClaimsIdentity([new Claim("sub", "test-client"), new Claim("scope", scope)]),
            // No cached signature provider: each test brings (and disposes) its own RSA instance under the same key id.
            SigningCredentials = new SigningCredentials(
                new RsaSecurityKey(key) { KeyId = keyId, CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false } },
                SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>An unsigned token (<c>alg: none</c>) with otherwise valid contents.</summary>
    public static string Unsigned(string issuer, string audience, string scope)
    {
        static string Part(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return $"{Part("""{"alg":"none","typ":"at+jwt"}""")}." +
               $"{Part($$"""{"iss":"{{issuer}}","aud":"{{audience}}","sub":"test-client","scope":"{{scope}}","iat":{{now}},"nbf":{{now}},"exp":{{now + 600}}}""")}.";
    }

    public static RSA ImportPrivateKey(string base64Pkcs8)
    {
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(base64Pkcs8), out _);
        return rsa;
    }
}
