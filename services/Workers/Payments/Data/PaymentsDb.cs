using Microsoft.EntityFrameworkCore;
using Platform.Messaging;
using Platform.Payments.Hosting;
using Platform.Payments.Provider;

namespace Platform.Payments.Data;

public sealed class PaymentsDb(DbContextOptions<PaymentsDb> options) : DbContext(options)
{
    /// <summary>The connection name of the worker's database.</summary>
    public const string ConnectionName = "paymentsdb";

    /// <summary>
    /// The same database through a pool of its own, for what a handler commits on its own while it holds the inbox
    /// transaction (<see cref="PaymentsExtensions.AddPaymentsDatabase"/>).
    /// </summary>
    public const string AutonomousConnectionName = "paymentsdb-autonomous";

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

        // The simulated provider's side (see ProviderCharge): migrated with the worker, only for the simulation's sake.
        modelBuilder.Entity<ProviderCharge>(charge =>
        {
            charge.ToTable("charges", "provider");
            charge.HasKey(c => c.IdempotencyKey);
            charge.Property(c => c.IdempotencyKey).HasColumnName("idempotency_key").HasMaxLength(100);
            charge.Property(c => c.Reference).HasColumnName("reference").HasMaxLength(100);
            charge.Property(c => c.Amount).HasColumnName("amount").HasPrecision(12, 2);
            charge.Property(c => c.Status).HasColumnName("status").HasMaxLength(20);
            charge.Property(c => c.CreatedAt).HasColumnName("created_at");
            charge.HasIndex(c => c.Reference, "ix_charges_reference");
        });
    }
}
