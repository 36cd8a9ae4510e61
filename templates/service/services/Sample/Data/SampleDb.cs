using Microsoft.EntityFrameworkCore;
using Platform.Messaging;
using Platform.Sample.Orders;

namespace Platform.Sample.Data;

/// <summary><c>sampledb</c>: this service's own tables, and its outbox and inbox.</summary>
public sealed class SampleDb(DbContextOptions<SampleDb> options) : DbContext(options)
{
    public DbSet<ReceivedOrder> ReceivedOrders => Set<ReceivedOrder>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddOutboxAndInbox();
        modelBuilder.Entity<ReceivedOrder>(order =>
        {
            order.ToTable("received_orders");
            order.HasKey(o => o.OrderId);
            order.Property(o => o.OrderId).HasColumnName("order_id").ValueGeneratedNever();
            order.Property(o => o.BuyerId).HasColumnName("buyer_id").HasMaxLength(100);
            order.Property(o => o.Items).HasColumnName("items");
            order.Property(o => o.ReceivedAt).HasColumnName("received_at");
            order.HasIndex(o => o.ReceivedAt, "ix_received_orders_received_at");
        });
    }
}
