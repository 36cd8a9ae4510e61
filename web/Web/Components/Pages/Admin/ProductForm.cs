using System.ComponentModel.DataAnnotations;

namespace Platform.Web.Components.Pages.Admin;

/// <summary>What the back office edits; the same limits as the catalog API, so most mistakes are caught before sending.</summary>
public sealed class ProductForm
{
    [Required, StringLength(200)]
    public string Name { get; set; } = "";

    [StringLength(2000)]
    public string? Description { get; set; }

    [Range(0.01, 1_000_000)]
    public decimal Price { get; set; }

    [Range(0, 1_000_000)]
    public int Stock { get; set; }
}
