namespace Platform.Catalog.Hosting;

/// <summary>How long catalog reads stay cached (configuration section <c>Catalog:Cache</c>).</summary>
public sealed class CatalogCacheOptions
{
    /// <summary>Off: every read goes to the database (to measure what the cache saves, or to rule it out).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Lifetime in Redis (L2), shared by every catalog instance.</summary>
    public TimeSpan Expiration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Lifetime in each instance's memory (L1). An invalidation reaches other instances' memory only when
    /// this runs out, so it bounds how stale another instance can be after a write.
    /// </summary>
    public TimeSpan LocalExpiration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many pages of the unfiltered list (each sort and page size) are cached. A search, or a page further
    /// down, is read from a replica every time: what clients can make the cache hold stays bounded.
    /// </summary>
    public int CachedPages { get; set; } = 5;

    /// <summary>The most each instance's memory (L1) holds, in bytes of cached payload; the least recently used goes first.</summary>
    public long LocalSizeLimit { get; set; } = 32 * 1024 * 1024;
}
