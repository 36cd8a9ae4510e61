using Microsoft.AspNetCore.Identity;
using Platform.Identity.Users;

namespace Platform.Services.Tests;

/// <summary>
/// The registration page and the seed users reach Identity without the API's own checks: the limits hold there because
/// they are Identity validators.
/// </summary>
public sealed class AccountLimitsTests
{
    private static readonly string LongEmail = new string('a', AccountLimits.MaxEmailLength) + "@platform.test";

    [Fact]
    public async Task An_email_longer_than_its_column_is_refused_before_it_reaches_the_database()
    {
        var result = await new AccountLimits().ValidateAsync(null!, new IdentityUser { UserName = LongEmail, Email = LongEmail });

        Assert.Equal(["EmailTooLong"], result.Errors.Select(e => e.Code));
    }

    [Fact]
    public async Task A_password_longer_than_the_limit_is_refused_before_it_is_hashed()
    {
        var limits = new AccountLimits();
        var user = new IdentityUser { UserName = "a@platform.test", Email = "a@platform.test" };

        var tooLong = await limits.ValidateAsync(null!, user, new string('x', AccountLimits.MaxPasswordLength + 1));
        var longest = await limits.ValidateAsync(null!, user, new string('x', AccountLimits.MaxPasswordLength));

        Assert.Equal(["PasswordTooLong"], tooLong.Errors.Select(e => e.Code));
        Assert.True(longest.Succeeded);
        Assert.True((await limits.ValidateAsync(null!, user)).Succeeded);
    }
}
