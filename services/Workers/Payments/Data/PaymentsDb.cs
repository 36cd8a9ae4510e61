using Microsoft.EntityFrameworkCore;
using Platform.Messaging;

namespace Platform.Payments.Data;

public sealed class PaymentsDb(DbContextOptions<PaymentsDb> options) : DbContext(options)
{
    public DbSet<Payment> Payments => Set<Payment>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddOutboxAndInbox();
        modelBuilder.Entity<Payment>(payment =>
        {
            payment.ToTable("payments");
            payment.HasKey(p => p.OrderId);
            payment.Property(p => p.OrderId).HasColumnName("order_id");
            payment.Property(p => p.Amount).HasColumnName("amount").HasPrecision(12, 2);
            payment.Property(p => p.Status).HasColumnName("status").HasMaxLength(20);
            payment.Property(p => p.CreatedAt).HasColumnName("created_at");
        });
    }
}
