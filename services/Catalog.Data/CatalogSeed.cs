using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.Catalog.Products;

namespace Platform.Catalog.Data;

/// <summary>Demo products for development (<c>Catalog:SeedDemoProducts</c>), added once to an empty catalog.</summary>
public static class CatalogSeed
{
    private static readonly string[] Kinds = ["Mug", "T-shirt", "Hoodie", "Cap", "Notebook", "Sticker pack", "Water bottle", "Backpack"];
    private static readonly string[] Themes = ["Aspire", "Postgres", "Redis", "RabbitMQ", "Blazor", "OpenTelemetry"];

    public static async Task SeedAsync(CatalogDb db, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (!services.GetRequiredService<IConfiguration>().GetValue<bool>("Catalog:SeedDemoProducts")
            || await db.Products.AnyAsync(cancellationToken))
        {
            return;
        }

        db.Products.AddRange(
            from kind in Kinds.Select((name, index) => (name, index))
            from theme in Themes.Select((name, index) => (name, index))
            select new Product
            {
                Name = $"{theme.name} {kind.name}",
                Description = $"A {kind.name.ToLowerInvariant()} for people who like {theme.name}.",
                Price = 4.50m + (kind.index * 3) + (theme.index * 0.75m),
                Stock = 20 + ((kind.index * 7) + (theme.index * 11)) % 80,
            });
        await db.SaveChangesAsync(cancellationToken);
    }
}
