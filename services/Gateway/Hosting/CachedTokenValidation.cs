using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Gateway.Hosting;

/// <summary>
/// Every request of a caller carries the same access token, and checking its RS256 signature again each time was the
/// largest part of the gateway's CPU per request. A token that validated is remembered (keyed by the whole token)
/// until it expires, five minutes at most, so that new signing keys and issuer settings still take effect soon;
/// anything that failed is checked again next time. The APIs behind still validate every request themselves.
/// </summary>
internal sealed class CachedTokenValidation : JsonWebTokenHandler
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    private static readonly MemoryCache Validated = new(new MemoryCacheOptions { SizeLimit = 50_000 });

    public CachedTokenValidation() => MapInboundClaims = false;

    public static void Use(JwtBearerOptions options)
    {
        options.TokenHandlers.Clear();
        options.TokenHandlers.Add(new CachedTokenValidation());
    }

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        if (Validated.TryGetValue(token, out TokenValidationResult? known) && known!.SecurityToken.ValidTo > DateTime.UtcNow)
        {
            // A fresh identity each time: the request's principal must not be shared with other requests.
            return new TokenValidationResult
            {
                IsValid = true,
                SecurityToken = known.SecurityToken,
                ClaimsIdentity = known.ClaimsIdentity.Clone(),
                Issuer = known.Issuer,
                TokenType = known.TokenType,
            };
        }

        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken.ValidTo > DateTime.UtcNow)
        {
            var until = new DateTimeOffset(result.SecurityToken.ValidTo, TimeSpan.Zero);
            Validated.Set(token, result, new MemoryCacheEntryOptions
            {
                AbsoluteExpiration = until < DateTimeOffset.UtcNow + MaxAge ? until : DateTimeOffset.UtcNow + MaxAge,
                Size = 1,
            });
        }

        return result;
    }
}
