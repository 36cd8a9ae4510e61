using Platform.Catalog.Data;
using Platform.Contracts;

namespace Platform.Inventory.Hosting;

/// <summary>How the inventory worker is wired: the catalog's database and its messaging.</summary>
public static class InventoryExtensions
{
    /// <summary>
    /// <c>catalogdb</c> through the catalog's own model (<see cref="CatalogDb"/>): stock and reservations are the
    /// catalog's tables, typed and migrated in one place; this worker is the one that reserves and releases.
    /// </summary>
    public static IHostApplicationBuilder AddInventoryDatabase(this IHostApplicationBuilder builder) =>
        builder.AddReplicatedDatabase<CatalogDb>("catalogdb");

    /// <summary>
    /// Reserves stock for <c>OrderPlaced</c> and releases it on <c>PaymentFailed</c> or <c>OrderExpired</c>, once each (inbox in catalogdb);
    /// <c>StockReserved</c>, <c>StockRejected</c> and <c>StockReleased</c> out through catalogdb's outbox; counted in <see cref="StockMetrics"/>.
    /// </summary>
    public static IHostApplicationBuilder AddInventoryMessaging(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<StockMetrics>();
        builder.AddEventBus("eventbus", consumer: "inventory")
            .AddInbox<CatalogDb>()
            .AddSubscription<OrderPlaced, ReserveStockHandler>()
            .AddSubscription<PaymentFailed, ReleaseStockHandler>()
            .AddSubscription<OrderExpired, ReleaseStockHandler>();
        return builder.AddOutboxRelay("catalogdb");
    }
}
