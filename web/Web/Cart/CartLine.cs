namespace Platform.Web.Cart;

/// <summary>A line in the cart: what and how many. Prices are never kept: totals use the catalog's current prices.</summary>
public sealed record CartLine(int ProductId, int Quantity);
