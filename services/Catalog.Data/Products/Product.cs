namespace Platform.Catalog.Products;

/// <summary>Something the shop sells: its price and how many are in stock.</summary>
public sealed class Product
{
    public int Id { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    public decimal Price { get; set; }

    public int Stock { get; set; }

    /// <summary>Postgres' <c>xmin</c>: changes with every update; the optimistic-concurrency token and the ETag.</summary>
    public uint Version { get; set; }
}
