using Microsoft.EntityFrameworkCore;
using Platform.Catalog.Stock;
using Platform.Catalog.Products;
using Platform.Messaging;

namespace Platform.Catalog.Data;

/// <summary>
/// <c>catalogdb</c>: products and their stock, stock reservations, and the inventory worker's outbox and inbox. The
/// catalog service and the inventory worker both use this model; the catalog's migration step migrates it.
/// </summary>
public sealed class CatalogDb(DbContextOptions<CatalogDb> options) : DbContext(options)
{
    /// <summary>The most one product can have in stock (keeps restocks far from integer overflow).</summary>
    public const int MaxStock = 1_000_000_000;

    public DbSet<Product> Products => Set<Product>();

    public DbSet<StockReservation> StockReservations => Set<StockReservation>();

    public DbSet<StockReservationLine> StockReservationLines => Set<StockReservationLine>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasPostgresExtension("pg_trgm");
        modelBuilder.AddOutboxAndInbox(); // the inventory worker's events and deduplication
        modelBuilder.Entity<StockReservation>(reservation =>
        {
            reservation.ToTable("stock_reservations");
            reservation.HasKey(r => r.OrderId);
            reservation.Property(r => r.OrderId).HasColumnName("order_id");
            reservation.Property(r => r.Status).HasColumnName("status").HasMaxLength(20);
            reservation.Property(r => r.CreatedAt).HasColumnName("created_at");
            reservation.HasMany(r => r.Lines).WithOne().HasForeignKey(l => l.OrderId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<StockReservationLine>(line =>
        {
            line.ToTable("stock_reservation_lines");
            line.HasKey(l => new { l.OrderId, l.ProductId });
            line.Property(l => l.OrderId).HasColumnName("order_id");
            line.Property(l => l.ProductId).HasColumnName("product_id");
            line.Property(l => l.Quantity).HasColumnName("quantity");
        });
        modelBuilder.Entity<Product>(product =>
        {
            product.ToTable("products", table =>
            {
                table.HasCheckConstraint("ck_products_price", "price > 0");
                table.HasCheckConstraint("ck_products_stock", $"stock BETWEEN 0 AND {MaxStock}");
            });
            product.Property(p => p.Id).HasColumnName("id");
            product.Property(p => p.Name).HasColumnName("name").HasMaxLength(200);
            product.Property(p => p.Description).HasColumnName("description").HasMaxLength(2000);
            product.Property(p => p.Price).HasColumnName("price").HasPrecision(12, 2);
            product.Property(p => p.Stock).HasColumnName("stock");
            product.Property(p => p.Version).IsRowVersion();
            product.HasIndex(p => p.Name, "ix_products_name");
            product.HasIndex(p => p.Price, "ix_products_price");
            // Substring search (ILIKE '%term%') through a trigram index instead of a full scan.
            product.HasIndex(p => p.Name, "ix_products_name_trgm").HasMethod("gin").HasOperators("gin_trgm_ops");
        });
    }
}
