namespace Platform.Web.Cart;

/// <summary>The products a user is about to order, with the rules an order must follow (as the orders API checks them).</summary>
public sealed class ShoppingCart
{
    public const int MaxLines = 50;
    public const int MaxQuantity = 1000;

    private readonly List<CartLine> _lines = [];

    public ShoppingCart(IEnumerable<CartLine>? lines = null)
    {
        foreach (var line in lines ?? [])
        {
            Add(line.ProductId, line.Quantity);
        }
    }

    public IReadOnlyList<CartLine> Lines => _lines;

    public int Count => _lines.Sum(l => l.Quantity);

    public bool IsEmpty => _lines.Count == 0;

    /// <summary>Adds to the product's line (one line per product), up to the maximum quantity. False when the cart is full.</summary>
    public bool Add(int productId, int quantity = 1)
    {
        var index = _lines.FindIndex(l => l.ProductId == productId);
        if (index < 0)
        {
            if (_lines.Count >= MaxLines || quantity < 1)
            {
                return false;
            }

            _lines.Add(new CartLine(productId, Math.Min(quantity, MaxQuantity)));
            return true;
        }

        _lines[index] = _lines[index] with { Quantity = Math.Clamp(_lines[index].Quantity + quantity, 1, MaxQuantity) };
        return true;
    }

    /// <summary>Sets a line's quantity; zero or less removes it.</summary>
    public void SetQuantity(int productId, int quantity)
    {
        var index = _lines.FindIndex(l => l.ProductId == productId);
        if (index < 0)
        {
            return;
        }

        if (quantity < 1)
        {
            _lines.RemoveAt(index);
        }
        else
        {
            _lines[index] = _lines[index] with { Quantity = Math.Min(quantity, MaxQuantity) };
        }
    }

    public void Remove(int productId) => SetQuantity(productId, 0);

    public void Clear() => _lines.Clear();

    /// <summary>Sum of quantity × current price; null while any line's price is unknown (the product could not be read).</summary>
    public decimal? Total(IReadOnlyDictionary<int, decimal> prices) =>
        _lines.All(l => prices.ContainsKey(l.ProductId)) ? _lines.Sum(l => l.Quantity * prices[l.ProductId]) : null;
}
