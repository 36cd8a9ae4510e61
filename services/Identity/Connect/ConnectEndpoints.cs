using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Platform.Identity.Connect;

/// <summary>
/// The OpenID Connect endpoints that OpenIddict hands over to the app after validating the request
/// (client, redirect URI, PKCE, scopes against the client's permissions).
/// </summary>
public static class ConnectEndpoints
{
    private const string Server = OpenIddictServerAspNetCoreDefaults.AuthenticationScheme;

    public static IEndpointRouteBuilder MapConnectEndpoints(this IEndpointRouteBuilder app)
    {
        var connect = app.MapGroup("/connect").AllowAnonymous().ExcludeFromDescription();
        connect.MapMethods("/authorize", [HttpMethods.Get, HttpMethods.Post], AuthorizeAsync);
        connect.MapPost("/token", ExchangeAsync);
        connect.MapMethods("/userinfo", [HttpMethods.Get, HttpMethods.Post], UserInfoAsync);
        connect.MapMethods("/logout", [HttpMethods.Get, HttpMethods.Post], LogoutAsync);
        return app;
    }

    /// <summary>Signs the logged-in user in to the client (first-party clients: no consent screen), else sends them to the login page.</summary>
    private static async Task<IResult> AuthorizeAsync(HttpContext http, UserManager<IdentityUser> users,
        SignInManager<IdentityUser> signIn, IOpenIddictScopeManager scopes, CancellationToken ct)
    {
        var request = http.GetOpenIddictServerRequest()!;
        var login = await http.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        var user = login.Succeeded ? await users.GetUserAsync(login.Principal) : null;
        if (user is null || !await signIn.CanSignInAsync(user) || request.HasPromptValue(PromptValues.Login))
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Error(Errors.LoginRequired, "The user is not logged in.");
            }

            // Back to this request after login, without prompt=login (which would loop).
            var parameters = (http.Request.HasFormContentType ? http.Request.Form.AsEnumerable() : http.Request.Query)
                .Where(p => p.Key != Parameters.Prompt);
            var returnUrl = http.Request.PathBase + http.Request.Path + QueryString.Create(parameters);
            if (request.HasPromptValue(PromptValues.Create))
            {
                // OpenID Connect "prompt=create": the client asks for the registration page instead of the login page.
                return Results.Redirect($"{http.Request.PathBase}/account/register?returnUrl={Uri.EscapeDataString(returnUrl)}");
            }

            return Results.Challenge(new AuthenticationProperties { RedirectUri = returnUrl }, [IdentityConstants.ApplicationScheme]);
        }

        var principal = await TokenClaims.ForUserAsync(user, users, request.GetScopes(), scopes, ct);
        return Results.SignIn(principal, authenticationScheme: Server);
    }

    private static async Task<IResult> ExchangeAsync(HttpContext http, UserManager<IdentityUser> users,
        SignInManager<IdentityUser> signIn, IOpenIddictApplicationManager applications, IOpenIddictScopeManager scopes, CancellationToken ct)
    {
        var request = http.GetOpenIddictServerRequest()!;
        if (request.IsClientCredentialsGrantType())
        {
            var application = await applications.FindByClientIdAsync(request.ClientId!, ct);
            if (application is null)
            {
                return Error(Errors.InvalidClient, "The client is unknown.");
            }

            var client = await TokenClaims.ForClientAsync(request.ClientId!, await applications.GetDisplayNameAsync(application, ct),
                request.GetScopes(), scopes, ct);
            return Results.SignIn(client, authenticationScheme: Server);
        }

        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            // The principal stored in the code or refresh token; the user may have been locked out or deleted since.
            var principal = (await http.AuthenticateAsync(Server)).Principal!;
            var user = await users.FindByIdAsync(principal.GetClaim(Claims.Subject)!);
            if (user is null || !await signIn.CanSignInAsync(user) || await users.IsLockedOutAsync(user))
            {
                return Error(Errors.InvalidGrant, "The user can no longer sign in.");
            }

            if (principal.GetClaim(TokenClaims.SecurityStamp) != await users.GetSecurityStampAsync(user))
            {
                return Error(Errors.InvalidGrant, "The user's password or security settings changed since: sign in again.");
            }

            return Results.SignIn(await TokenClaims.RefreshAsync(principal, user, users), authenticationScheme: Server);
        }

        return Error(Errors.UnsupportedGrantType, "The grant type is not supported.");
    }

    private static async Task<IResult> UserInfoAsync(HttpContext http, UserManager<IdentityUser> users)
    {
        var principal = (await http.AuthenticateAsync(Server)).Principal;
        var user = principal is null ? null : await users.FindByIdAsync(principal.GetClaim(Claims.Subject)!);
        if (principal is null || user is null)
        {
            return Results.Challenge(new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidToken,
            }), [Server]);
        }

        var claims = new Dictionary<string, object?>(StringComparer.Ordinal) { [Claims.Subject] = user.Id };
        if (principal.HasScope(Scopes.Profile))
        {
            claims[Claims.Name] = user.UserName;
        }

        if (principal.HasScope(Scopes.Email))
        {
            claims[Claims.Email] = user.Email;
        }

        if (principal.HasScope(Scopes.Roles))
        {
            claims[Claims.Role] = await users.GetRolesAsync(user);
        }

        return Results.Ok(claims);
    }

    /// <summary>
    /// Ends the session at once only when the client proves it is the user's own (an <c>id_token_hint</c> that
    /// OpenIddict validated and that names the signed-in user). Any other request (a bare GET from another
    /// site, say) sends the user to a page that asks first, so a link cannot sign anyone out.
    /// </summary>
    private static async Task<IResult> LogoutAsync(HttpContext http, SignInManager<IdentityUser> signIn)
    {
        var login = await http.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        if (login.Succeeded)
        {
            var hint = (await http.AuthenticateAsync(Server)).Principal?.GetClaim(Claims.Subject);
            if (hint is null || hint != signIn.UserManager.GetUserId(login.Principal))
            {
                var parameters = http.Request.HasFormContentType ? http.Request.Form.AsEnumerable() : http.Request.Query;
                return Results.Redirect($"{http.Request.PathBase}/account/logout{QueryString.Create(parameters)}");
            }

            await signIn.SignOutAsync();
        }

        return Results.SignOut(new AuthenticationProperties { RedirectUri = "/" }, [Server]);
    }

    private static IResult Error(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }), [Server]);
}
