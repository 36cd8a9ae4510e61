using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;
using Platform.Identity.Data;
using Platform.Identity.Hosting;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Platform.Identity.Users;

/// <summary>Accounts over HTTP: registration (public), the caller's own account, and the user list for admins.</summary>
public static class UsersApi
{
    private const int MaxPageSize = 100;

    public static IEndpointRouteBuilder MapUsers(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/users").WithTags("Users")
            .RequireAuthorization(policy => policy.AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme).RequireAuthenticatedUser());
        users.MapPost("/", RegisterAsync).AllowAnonymous().RequireRateLimiting(Policies.LoginRateLimit);
        users.MapGet("/me", MeAsync);
        users.MapPut("/me/password", ChangePasswordAsync);
        users.MapGet("/", ListAsync).RequireAuthorization(Policies.Admin);
        return app;
    }

    /// <summary>Creates a customer account. Weak passwords are 400 (with the rules broken), a taken e-mail 409; neither writes anything.</summary>
    private static async Task<Results<Created<UserResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        RegisterRequest request, UserManager<IdentityUser> users)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Email) || request.Email.Length > AccountLimits.MaxEmailLength || !new EmailAddressAttribute().IsValid(request.Email))
        {
            errors["email"] = [$"A valid e-mail address of at most {AccountLimits.MaxEmailLength} characters is required."];
        }

        if (string.IsNullOrEmpty(request.Password))
        {
            errors["password"] = ["A password is required."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var user = new IdentityUser { UserName = request.Email, Email = request.Email };
        IdentityResult created;
        try
        {
            created = await users.CreateAsync(user, request.Password!);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return Taken(); // a concurrent registration with the same e-mail won the race
        }

        if (!created.Succeeded)
        {
            if (created.Errors.Any(e => e.Code is "DuplicateUserName" or "DuplicateEmail"))
            {
                return Taken();
            }

            return TypedResults.ValidationProblem(created.Errors
                .GroupBy(e => e.Code.StartsWith("Password", StringComparison.Ordinal) ? "password" : "email")
                .ToDictionary(g => g.Key, g => g.Select(e => e.Description).ToArray()));
        }

        await users.AddToRoleAsync(user, "customer");
        return TypedResults.Created($"/users/{user.Id}", new UserResponse(user.Id, user.Email!, ["customer"]));
    }

    private static async Task<Results<Ok<UserResponse>, NotFound>> MeAsync(HttpContext http, UserManager<IdentityUser> users)
    {
        var user = await users.FindByIdAsync(http.User.GetClaim(Claims.Subject) ?? "");
        return user is null
            ? TypedResults.NotFound()
            : TypedResults.Ok(new UserResponse(user.Id, user.Email!, [.. await users.GetRolesAsync(user)]));
    }

    /// <summary>
    /// Changes the caller's password (204). A wrong current password or a weak new one is 400 and changes nothing.
    /// Every refresh token the user holds is revoked: whoever had one (a stolen laptop's session) must sign in again.
    /// </summary>
    private static async Task<Results<NoContent, ValidationProblem, NotFound>> ChangePasswordAsync(
        ChangePasswordRequest request, HttpContext http, UserManager<IdentityUser> users, IOpenIddictTokenManager tokens, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.CurrentPassword) || string.IsNullOrEmpty(request.NewPassword))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                [string.IsNullOrEmpty(request.CurrentPassword) ? "currentPassword" : "newPassword"] = ["A password is required."],
            });
        }

        var user = await users.FindByIdAsync(http.User.GetClaim(Claims.Subject) ?? "");
        if (user is null)
        {
            return TypedResults.NotFound();
        }

        var changed = await users.ChangePasswordAsync(user, request.CurrentPassword, request.NewPassword);
        if (!changed.Succeeded)
        {
            return TypedResults.ValidationProblem(changed.Errors
                .GroupBy(e => e.Code == "PasswordMismatch" ? "currentPassword" : "newPassword")
                .ToDictionary(g => g.Key, g => g.Select(e => e.Description).ToArray()));
        }

        // The new security stamp already makes them useless; revoking says so in the store too.
        await tokens.RevokeAsync(subject: user.Id, client: null, status: null, type: null, ct);

        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<UserPage>, ValidationProblem>> ListAsync(IdentityDb db, int page = 1, int pageSize = 20, CancellationToken ct = default)
    {
        if (page < 1 || pageSize is < 1 or > MaxPageSize)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["page"] = ["page starts at 1."],
                ["pageSize"] = [$"pageSize is between 1 and {MaxPageSize}."],
            });
        }

        var total = await db.Users.CountAsync(ct);
        var items = await db.Users.OrderBy(u => u.Email).Skip((page - 1) * pageSize).Take(pageSize)
            .Select(u => new UserResponse(u.Id, u.Email!,
                db.UserRoles.Where(r => r.UserId == u.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name!).ToList()))
            .ToListAsync(ct);
        return TypedResults.Ok(new UserPage(items, page, pageSize, total));
    }

    private static ProblemHttpResult Taken() => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict, title: "E-mail already registered", detail: "An account with this e-mail address exists.");
}
