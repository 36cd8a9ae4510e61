using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Antiforgery;

namespace Platform.Web.Hosting;

/// <summary>
/// Signing in with the identity service: OpenID Connect authorization code + PKCE, a cookie session whose tokens stay on
/// the server (Redis), sign-out that ends the identity session too, and registration through the same flow.
/// </summary>
public static class SignIn
{
    private const string Register = "register";

    internal static void AddCookieAndOpenIdConnect(this AuthenticationBuilder authentication, OidcSettings settings, bool development)
    {
        var authority = settings.Authority
            ?? throw new InvalidOperationException("No Oidc:Authority: run the web app from the AppHost (it sets the gateway's URL), or set it.");
        authentication
            .AddCookie(options =>
            {
                options.Cookie.Name = "platform.web";
                options.Cookie.SameSite = SameSiteMode.Lax; // the sign-in callback arrives as a top-level navigation
                options.ExpireTimeSpan = TimeSpan.FromHours(8);
                options.SlidingExpiration = true;
                options.LoginPath = "/account/login";
                options.AccessDeniedPath = "/account/denied"; // a signed-in customer on an admin page
            })
            .AddOpenIdConnect(options =>
            {
                // Browsers go to the public issuer (the gateway) to sign in and out; this server fetches discovery, keys
                // and tokens straight from the identity service inside, like the APIs do: its token calls are every
                // user's, and must not use up the per-address sign-in budget the gateway keeps for browsers.
                options.Authority = authority.ToString();
                options.MetadataAddress = "https+http://identity/.well-known/openid-configuration";
                options.RequireHttpsMetadata = authority.Scheme == Uri.UriSchemeHttps || !development;
                options.ClientId = settings.ClientId;
                options.ClientSecret = settings.ClientSecret;
                options.ResponseType = "code";
                options.UsePkce = true;
                options.SaveTokens = true;
                options.GetClaimsFromUserInfoEndpoint = true;
                options.MapInboundClaims = false;
                options.Scope.Clear();
                foreach (var scope in settings.Scopes)
                {
                    options.Scope.Add(scope);
                }

                options.ClaimActions.MapJsonKey("role", "role");
                options.TokenValidationParameters.NameClaimType = "name";
                options.TokenValidationParameters.RoleClaimType = "role";
                options.Events.OnTokenValidated = context =>
                {
                    // The id under which the session (with its tokens) is kept: circuits find the current tokens by it.
                    ((ClaimsIdentity)context.Principal!.Identity!).AddClaim(new Claim(RedisTicketStore.SessionClaim, Guid.NewGuid().ToString("N")));
                    return Task.CompletedTask;
                };
                options.Events.OnRedirectToIdentityProvider = context =>
                {
                    context.ProtocolMessage.IssuerAddress = new Uri(authority, "connect/authorize").ToString();
                    if (context.Properties.Items.ContainsKey(Register))
                    {
                        context.ProtocolMessage.Prompt = "create"; // the provider shows its registration page
                    }

                    return Task.CompletedTask;
                };
                options.Events.OnRedirectToIdentityProviderForSignOut = context =>
                {
                    context.ProtocolMessage.IssuerAddress = new Uri(authority, "connect/logout").ToString();
                    return Task.CompletedTask;
                };
            });
    }

    /// <summary><c>/account/login</c>, <c>/account/register</c> (GET: a link works) and <c>/account/logout</c> (POST with antiforgery).</summary>
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/account");
        account.MapGet("/login", (string? returnUrl, HttpContext http) => Challenge(http, returnUrl, register: false));
        account.MapGet("/register", (string? returnUrl, HttpContext http) => Challenge(http, returnUrl, register: true));
        account.MapPost("/logout", () => Results.SignOut(new AuthenticationProperties { RedirectUri = "/" },
                [CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme]))
            .WithMetadata(new RequireAntiforgeryTokenAttribute());
        return app;
    }

    private static IResult Challenge(HttpContext http, string? returnUrl, bool register)
    {
        var properties = new AuthenticationProperties { RedirectUri = LocalOrHome(http, returnUrl) };
        if (register)
        {
            properties.Items[Register] = "true";
        }

        return Results.Challenge(properties, [OpenIdConnectDefaults.AuthenticationScheme]);
    }

    // Only pages of this app: an open redirect would let a link send users anywhere after signing in.
    private static string LocalOrHome(HttpContext http, string? returnUrl) =>
        returnUrl is { Length: > 0 } && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl : http.Request.PathBase + "/";
}
