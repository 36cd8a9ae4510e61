using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Validation.AspNetCore;
using Platform.Data;
using Platform.Identity.Data;
using Platform.Identity.Users;

namespace Platform.Identity.Hosting;

/// <summary>How the identity service is wired: its database, accounts, the token server and its API and pages.</summary>
public static class IdentityExtensions
{
    /// <summary>The identity database on the Postgres primary (accounts are written on every login).</summary>
    public static IHostApplicationBuilder AddIdentityDatabase(this IHostApplicationBuilder builder)
    {
        const string database = "identitydb";
        builder.AddNpgsqlDbContext<IdentityDb>(database,
            settings => settings.ConnectionString = settings.ConnectionString is { } connectionString
                ? ConnectionSettings.Apply(connectionString, builder, database)
                : null,
            options => options.UseOpenIddict());
        return builder;
    }

    /// <summary>ASP.NET Core Identity: password rules, lockout after repeated failures, unique e-mail, cookie sign-in for the login page.</summary>
    public static IHostApplicationBuilder AddAccounts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddIdentity<IdentityUser, IdentityRole>(AccountRules)
            .AddUserValidator<AccountLimits>()
            .AddPasswordValidator<AccountLimits>()
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

    /// <summary>OpenIddict as the OpenID Connect provider (<see cref="TokenServer"/>); this service's own API accepts its tokens.</summary>
    public static IHostApplicationBuilder AddTokenServer(this IHostApplicationBuilder builder)
    {
        var settings = builder.AddIdentitySettings();
        var development = builder.Environment.IsDevelopment();
        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<IdentityDb>())
            .AddServer(server => TokenServer.Configure(server, settings, development))
            .AddValidation(validation =>
            {
                // This service's own APIs (/users) accept its tokens issued for the "identity" audience.
                validation.UseLocalServer();
                validation.AddAudiences(IdentitySeed.ApiScopes["users"]);
                validation.UseAspNetCore();
            });

        builder.Services.AddHostedService<TokenPruning>();
        builder.Services.AddAuthentication(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
        builder.Services.AddAuthorizationBuilder()
            // As in the other APIs, an endpoint needs a token unless it says otherwise: one added later is not public by accident.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme).RequireAuthenticatedUser().Build())
            .AddPolicy(Policies.Admin, policy => policy
                .AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme)
                .RequireRole("admin"));
        return builder;
    }

    /// <summary>
    /// Redis holds the Data Protection key ring (encrypted with <c>DataProtection:Certificate</c>): the login cookie and the
    /// pages' form tokens stay valid when identity restarts or runs as several instances.
    /// </summary>
    public static IHostApplicationBuilder AddSharedKeys(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient("redis");
        return builder.AddSharedDataProtection("identity");
    }

    /// <summary>The users API and the login and registration pages: OpenAPI document, Razor Pages, attempts limited per client address.</summary>
    public static IHostApplicationBuilder AddIdentityApi(this IHostApplicationBuilder builder)
    {
        builder.AddApiDocumentation();
        // The pages a signed-out user needs; any other page requires a sign-in (the fallback policy).
        builder.Services.AddRazorPages(options => options.Conventions.AllowAnonymousToPage("/Index").AllowAnonymousToFolder("/Account"));
        var permits = builder.Configuration.GetSection(IdentitySettings.Section).Get<IdentitySettings>()?.LoginAttemptsPerMinute ?? 30;
        builder.Services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Attempts are posts; showing the form costs nothing.
            options.AddPolicy(Policies.LoginRateLimit, context => HttpMethods.IsGet(context.Request.Method)
                ? RateLimitPartition.GetNoLimiter("pages")
                : RateLimitPartition.GetFixedWindowLimiter(
                    context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
        return builder;
    }

    /// <summary>
    /// What the migration step's seed needs and nothing more (no token server, no keys): the account and role stores
    /// with the same password rules, OpenIddict's application and scope stores, and the settings.
    /// </summary>
    public static IHostApplicationBuilder AddSeedStores(this IHostApplicationBuilder builder)
    {
        builder.AddIdentitySettings();
        builder.Services.AddIdentityCore<IdentityUser>(AccountRules)
            .AddUserValidator<AccountLimits>()
            .AddPasswordValidator<AccountLimits>()
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<IdentityDb>();
        builder.Services.AddOpenIddict().AddCore(core => core.UseEntityFrameworkCore().UseDbContext<IdentityDb>());
        return builder;
    }

    private static IdentitySettings AddIdentitySettings(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(IdentitySettings.Section);
        builder.Services.Configure<IdentitySettings>(section);
        return section.Get<IdentitySettings>() ?? new IdentitySettings();
    }

    private static void AccountRules(IdentityOptions options)
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
    }
}
