using Microsoft.EntityFrameworkCore;
using Platform.Messaging;
using Platform.Orders.Ordering;

namespace Platform.Orders.Data;

/// <summary>One shard of the orders database (every shard has this schema; <c>shard_buckets</c> says which customers it holds).</summary>
public sealed class OrdersDb(DbContextOptions<OrdersDb> options) : DbContext(options)
{
    public DbSet<Order> Orders => Set<Order>();

    /// <summary>The buckets this shard owns (<c>shard_buckets</c>, kept by the sharding building block, not by this model).</summary>
    public IQueryable<short> OwnedBuckets => Database.SqlQuery<short>($"SELECT bucket AS \"Value\" FROM shard_buckets");

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddOutboxAndInbox();
        modelBuilder.Entity<Order>(order =>
        {
            order.ToTable("orders");
            order.Property(o => o.Id).HasColumnName("id").ValueGeneratedNever();
            order.Property(o => o.Bucket).HasColumnName("bucket");
            order.Property(o => o.BuyerId).HasColumnName("buyer_id").HasMaxLength(100);
            order.Property(o => o.Status).HasColumnName("status").HasConversion<string>().HasMaxLength(20);
            order.Property(o => o.CreatedAt).HasColumnName("created_at");
            order.Property(o => o.SettledAt).HasColumnName("settled_at");
            order.Property(o => o.CancelReason).HasColumnName("cancel_reason").HasMaxLength(500);
            order.Property(o => o.IdempotencyKey).HasColumnName("idempotency_key").HasMaxLength(100);
            order.Property(o => o.RequestHash).HasColumnName("request_hash").HasMaxLength(64);
            order.HasIndex(o => new { o.BuyerId, o.CreatedAt }, "ix_orders_buyer_created").IsDescending(false, true);
            order.HasIndex(o => o.Bucket, "ix_orders_bucket"); // a bucket's orders, when it is moved to another shard
            order.HasIndex(o => new { o.CreatedAt, o.Id }, "ix_orders_created_id").IsDescending(true, true); // the operators' list, newest first
            order.HasIndex(o => o.CreatedAt, "ix_orders_processing_created").HasFilter("status = 'Processing'"); // the deadline's search
            // One order per key and customer; the database settles concurrent retries.
            order.HasIndex(o => new { o.BuyerId, o.IdempotencyKey }, "ux_orders_buyer_idempotency_key")
                .IsUnique().HasFilter("idempotency_key IS NOT NULL");
            order.HasMany(o => o.Lines).WithOne().HasForeignKey(l => l.OrderId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<OrderLine>(line =>
        {
            line.ToTable("order_lines", table => table.HasCheckConstraint("ck_order_lines_quantity", "quantity > 0"));
            line.HasKey(l => new { l.OrderId, l.ProductId });
            line.Property(l => l.OrderId).HasColumnName("order_id");
            line.Property(l => l.ProductId).HasColumnName("product_id");
            line.Property(l => l.Quantity).HasColumnName("quantity");
            line.Property(l => l.UnitPrice).HasColumnName("unit_price").HasPrecision(12, 2);
        });
    }
}
