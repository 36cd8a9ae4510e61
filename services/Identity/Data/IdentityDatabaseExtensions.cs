using Microsoft.EntityFrameworkCore;

namespace Platform.Identity.Data;

public static class IdentityDatabaseExtensions
{
    /// <summary>The identity database on the Postgres primary (accounts are written on every login).</summary>
    public static IHostApplicationBuilder AddIdentityDatabase(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<IdentityDb>("identitydb", configureDbContextOptions: options => options.UseOpenIddict());
        return builder;
    }
}
