using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Identity;
using Platform.Identity.Data;

namespace Platform.Identity.Hosting;

public static class AccountsExtensions
{
    public const string LoginRateLimit = "login";

    /// <summary>ASP.NET Core Identity: password rules, lockout after repeated failures, unique e-mail, cookie sign-in for the login page.</summary>
    public static IHostApplicationBuilder AddAccounts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddIdentity<IdentityUser, IdentityRole>(options =>
            {
                options.Password.RequiredLength = 10;
                options.Password.RequireDigit = true;
                options.Password.RequireLowercase = true;
                options.Password.RequireUppercase = true;
                options.Password.RequireNonAlphanumeric = false; // length beats symbol rules
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                options.Lockout.AllowedForNewUsers = true;
                options.User.RequireUniqueEmail = true;
            })
            .AddEntityFrameworkStores<IdentityDb>()
            .AddDefaultTokenProviders();

        builder.Services.ConfigureApplicationCookie(options =>
        {
            options.LoginPath = "/account/login";
            options.Cookie.Name = "platform.identity";
            options.Cookie.SameSite = SameSiteMode.Lax;
        });
        return builder;
    }

    /// <summary>Login and registration attempts per client address (on top of per-account lockout).</summary>
    public static IHostApplicationBuilder AddLoginRateLimiting(this IHostApplicationBuilder builder)
    {
        var permits = builder.Configuration.GetSection(IdentitySettings.Section).Get<IdentitySettings>()?.LoginAttemptsPerMinute ?? 30;
        builder.Services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Attempts are posts; showing the form costs nothing.
            options.AddPolicy(LoginRateLimit, context => HttpMethods.IsGet(context.Request.Method)
                ? RateLimitPartition.GetNoLimiter("pages")
                : RateLimitPartition.GetFixedWindowLimiter(
                    context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
        return builder;
    }
}
