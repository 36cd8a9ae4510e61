using System.Text.Json;
using StackExchange.Redis;

namespace Platform.Web.Cart;

/// <summary>
/// Carts in Redis, one per user (<c>web:cart:{sub}</c>, kept 30 days after the last change): the same cart on any
/// device and web instance, after a reload or a restart of the web app.
/// </summary>
public sealed class CartStore(IConnectionMultiplexer redis)
{
    private static readonly TimeSpan Kept = TimeSpan.FromDays(30);

    private static RedisKey Key(string user) => $"web:cart:{user}";

    /// <exception cref="RedisException">Redis is unreachable: the page says the cart is unavailable.</exception>
    public async Task<ShoppingCart> GetAsync(string user)
    {
        var value = await redis.GetDatabase().StringGetAsync(Key(user));
        return new ShoppingCart(value.IsNullOrEmpty ? [] : JsonSerializer.Deserialize<List<CartLine>>((string)value!) ?? []);
    }

    public Task SaveAsync(string user, ShoppingCart cart) => cart.IsEmpty
        ? redis.GetDatabase().KeyDeleteAsync(Key(user))
        : redis.GetDatabase().StringSetAsync(Key(user), JsonSerializer.Serialize(cart.Lines), Kept);
}
