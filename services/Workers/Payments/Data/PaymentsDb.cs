using Microsoft.EntityFrameworkCore;
using Platform.Messaging;

namespace Platform.Payments.Data;

/// <summary>A charge attempt for an order: at most one per order (the primary key), so an order is never charged twice.</summary>
public sealed class Payment
{
    public Guid OrderId { get; set; }

    public decimal Amount { get; set; }

    /// <summary><c>succeeded</c> or <c>failed</c>.</summary>
    public required string Status { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

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

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the worker.</summary>
internal sealed class DesignTimePaymentsDb : Microsoft.EntityFrameworkCore.Design.IDesignTimeDbContextFactory<PaymentsDb>
{
    public PaymentsDb CreateDbContext(string[] args) => new(new DbContextOptionsBuilder<PaymentsDb>().UseNpgsql("Host=design-time").Options);
}
