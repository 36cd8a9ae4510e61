using System.ComponentModel;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;
using Platform.Catalog.Data;
using Platform.Catalog.Hosting;
using Platform.Data;
using StackExchange.Redis;

namespace Platform.Catalog.Products;

/// <summary>A cached page of products, its ETag, and the log position its data is at least as recent as.</summary>
/// <remarks>Immutable, so HybridCache hands out the same instance from memory instead of deserializing a copy per hit.</remarks>
[ImmutableObject(true)]
public sealed record CachedPage(ProductPage Page, string ETag, ulong Position) : ICachedRead;

/// <summary>A cached product (null: it does not exist), its ETag, and the log position its data is at least as recent as.</summary>
[ImmutableObject(true)]
public sealed record CachedProduct(ProductResponse? Product, string ETag, ulong Position) : ICachedRead;

/// <summary>A cached read: its data is at least as recent as this log position.</summary>
public interface ICachedRead
{
    ulong Position { get; }
}

/// <summary>
/// Product queries: HybridCache (in memory, then Redis) in front of the read replicas. Writes invalidate
/// by tag. An entry older than the caller's consistency token is reloaded, so read-your-writes holds
/// through the cache too.
/// </summary>
public sealed partial class ProductReads(HybridCache cache, ReplicatedDatabase<CatalogDb> database,
    IOptions<CatalogCacheOptions> options, CacheInvalidations invalidations, ILogger<ProductReads> logger)
{
    /// <summary>The tag on every cached product list.</summary>
    public const string ListsTag = "product-lists";

    public static string ProductTag(int id) => $"product:{id}";

    /// <summary>A page of products: from the cache when it is one of the first pages of the unfiltered list (see <see cref="CatalogCacheOptions.CachedPages"/>).</summary>
    public async Task<CachedPage> PageAsync(ProductQuery query, ConsistencyToken? after, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(query.Search) || query.Page > options.Value.CachedPages)
        {
            return await LoadPageAsync(query, await database.OwnAsync(after, cancellationToken), cancellationToken);
        }

        return await ReadThroughAsync($"products:list:{query.Sort ?? "name"}:{query.Page}:{query.PageSize}", ListsTag,
            (position, ct) => LoadPageAsync(query, position, ct), after, cancellationToken);
    }

    public Task<CachedProduct> ProductAsync(int id, ConsistencyToken? after, CancellationToken cancellationToken) =>
        ReadThroughAsync($"products:item:{id}", ProductTag(id), (position, ct) => LoadProductAsync(id, position, ct), after, cancellationToken);

    /// <summary>The cached entry — unless it is older than the caller's token, then a fresh read that replaces it.</summary>
    private async Task<T> ReadThroughAsync<T>(string key, string tag, Func<ConsistencyToken?, CancellationToken, ValueTask<T>> load,
        ConsistencyToken? after, CancellationToken cancellationToken) where T : ICachedRead
    {
        after = await database.OwnAsync(after, cancellationToken); // another cluster's write is no reason to skip the cache
        if (!options.Value.Enabled)
        {
            return await load(after, cancellationToken);
        }

        var entryOptions = new HybridCacheEntryOptions { Expiration = options.Value.Expiration, LocalCacheExpiration = options.Value.LocalExpiration };
        var entry = await cache.GetOrCreateAsync(key, ct => load(after, ct), entryOptions, [tag], cancellationToken);
        if (after is { } token && entry.Position < (ulong)token.Position)
        {
            entry = await load(after, cancellationToken);
            await cache.SetAsync(key, entry, entryOptions, [tag], cancellationToken);
        }

        return entry;
    }

    /// <summary>
    /// Drops every cached list and the product's own entry, here, in Redis, and in the memory of the other
    /// instances (<see cref="CacheInvalidations"/>). With Redis down only this instance's memory is invalidated:
    /// the write still succeeds, and other instances may serve their older copy until it expires.
    /// </summary>
    public Task InvalidateAsync(int id, CancellationToken cancellationToken) => InvalidateAsync([id], cancellationToken);

    /// <inheritdoc cref="InvalidateAsync(int, CancellationToken)"/>
    public async Task InvalidateAsync(IEnumerable<int> ids, CancellationToken cancellationToken)
    {
        var tags = ids.Distinct().Select(ProductTag).Prepend(ListsTag).ToList();
        foreach (var tag in tags)
        {
            try
            {
                // One tag per call: the local invalidation of each happens before its Redis write can fail.
                await cache.RemoveByTagAsync(tag, cancellationToken);
            }
            catch (RedisException e)
            {
                LogInvalidationNotShared(logger, tag, e.Message);
            }
        }

        await invalidations.PublishAsync(tags);
    }

    [LoggerMessage(LogLevel.Warning, "Cache tag {Tag} was invalidated in this instance only; Redis is unavailable: {Reason}")]
    private static partial void LogInvalidationNotShared(ILogger logger, string tag, string reason);

    /// <summary>The ETag of one product: its row version.</summary>
    public static string ETagOf(uint version) => $"\"{version}\"";

    private async ValueTask<CachedPage> LoadPageAsync(ProductQuery query, ConsistencyToken? after, CancellationToken cancellationToken)
    {
        await using var read = await database.ReadAsync(AtLeastLatestWrite(after), cancellationToken);
        var products = read.Db.Products.AsQueryable();
        if (query.Search?.Trim() is { Length: > 0 } search)
        {
            products = products.Where(p => EF.Functions.ILike(p.Name, $"%{EscapeLike(search)}%", @"\"));
        }

        var total = await products.CountAsync(cancellationToken);
        var ordered = query.Sort switch
        {
            "-name" => products.OrderByDescending(p => p.Name).ThenBy(p => p.Id),
            "price" => products.OrderBy(p => p.Price).ThenBy(p => p.Id),
            "-price" => products.OrderByDescending(p => p.Price).ThenBy(p => p.Id),
            _ => products.OrderBy(p => p.Name).ThenBy(p => p.Id),
        };
        var items = await ordered.Skip((query.Page - 1) * query.PageSize).Take(query.PageSize)
            .Select(p => new ProductResponse(p.Id, p.Name, p.Description, p.Price, p.Stock))
            .ToListAsync(cancellationToken);
        var page = new ProductPage(items, query.Page, query.PageSize, total);
        var hash = SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(page));
        return new CachedPage(page, $"\"{Convert.ToHexStringLower(hash.AsSpan(0, 12))}\"", (ulong)read.Position.Position);
    }

    private async ValueTask<CachedProduct> LoadProductAsync(int id, ConsistencyToken? after, CancellationToken cancellationToken)
    {
        await using var read = await database.ReadAsync(AtLeastLatestWrite(after), cancellationToken);
        var product = await read.Db.Products.Where(p => p.Id == id)
            .Select(p => new { Response = new ProductResponse(p.Id, p.Name, p.Description, p.Price, p.Stock), p.Version })
            .FirstOrDefaultAsync(cancellationToken);
        return new CachedProduct(product?.Response, product is null ? "" : ETagOf(product.Version), (ulong)read.Position.Position);
    }

    // A cache fill must not bring back what this process has just overwritten (and invalidated).
    private ConsistencyToken AtLeastLatestWrite(ConsistencyToken? after) =>
        ConsistencyToken.Max(after ?? ConsistencyToken.None, database.LatestWrite);

    private static string EscapeLike(string text) =>
        text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);
}
