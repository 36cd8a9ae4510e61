using Microsoft.EntityFrameworkCore;
using Platform.Messaging;

namespace Platform.Inventory;

/// <summary>
/// The inventory worker's view of <c>catalogdb</c>: stock and reservations through SQL, events through the
/// outbox and inbox. The catalog service owns the schema and its migrations.
/// </summary>
public sealed class InventoryDb(DbContextOptions<InventoryDb> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddOutboxAndInbox();
}
