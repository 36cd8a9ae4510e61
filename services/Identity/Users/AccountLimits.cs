using Microsoft.AspNetCore.Identity;

namespace Platform.Identity.Users;

/// <summary>
/// Bounds Identity does not set itself: an e-mail longer than its column failed at the database (a 500), and a password
/// of any length was hashed. As validators they hold for every way in: the API, the registration page, the seed users,
/// any later password change.
/// </summary>
public sealed class AccountLimits : IUserValidator<IdentityUser>, IPasswordValidator<IdentityUser>
{
    public const int MaxEmailLength = 256; // the user name and e-mail columns'
    public const int MaxPasswordLength = 128;

    public Task<IdentityResult> ValidateAsync(UserManager<IdentityUser> manager, IdentityUser user) =>
        Task.FromResult(user.Email?.Length > MaxEmailLength || user.UserName?.Length > MaxEmailLength
            ? IdentityResult.Failed(new IdentityError { Code = "EmailTooLong", Description = $"An e-mail address has at most {MaxEmailLength} characters." })
            : IdentityResult.Success);

    public Task<IdentityResult> ValidateAsync(UserManager<IdentityUser> manager, IdentityUser user, string? password) =>
        Task.FromResult(password?.Length > MaxPasswordLength
            ? IdentityResult.Failed(new IdentityError { Code = "PasswordTooLong", Description = $"Passwords have at most {MaxPasswordLength} characters." })
            : IdentityResult.Success);
}
