using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Platform.Identity.Data;

/// <summary>Accounts and roles (ASP.NET Core Identity) and OpenIddict's applications, scopes, authorizations and tokens.</summary>
public sealed class IdentityDb(DbContextOptions<IdentityDb> options) : IdentityDbContext<IdentityUser>(options);
