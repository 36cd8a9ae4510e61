using Platform.Catalog.Data;
using Platform.Contracts;
using Platform.Data;
using Platform.Messaging;

namespace Platform.Catalog.Products;

/// <summary>
/// Inventory changed stock in catalogdb (reserved for an order, or released again): the cached copies of those
/// products and every cached list are dropped, so the catalog shows the new stock at once, not after expiry.
/// </summary>
public sealed class StockChanges(ReplicatedDatabase<CatalogDb> database, ProductReads reads)
    : IIntegrationEventHandler<StockReserved>, IIntegrationEventHandler<StockReleased>
{
    public Task HandleAsync(StockReserved integrationEvent, CancellationToken cancellationToken) =>
        InvalidateAsync(integrationEvent.Items.Select(i => i.ProductId), cancellationToken);

    public Task HandleAsync(StockReleased integrationEvent, CancellationToken cancellationToken) =>
        InvalidateAsync(integrationEvent.Items.Select(i => i.ProductId), cancellationToken);

    private async Task InvalidateAsync(IEnumerable<int> productIds, CancellationToken cancellationToken)
    {
        // The change committed before its event was published. Taking the primary's position now as this instance's
        // latest write makes the refill read a replica that has replayed the change (or the primary), never an older one.
        await database.WrittenAsync(cancellationToken);
        await reads.InvalidateAsync(productIds, cancellationToken);
    }
}
