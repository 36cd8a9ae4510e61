using Microsoft.AspNetCore.Components;
using Platform.Web.Api;
using Platform.Web.Cart;
using Platform.Web.Components.Parts;

namespace Platform.Web.Tests;

/// <summary>The cart's rules and how the cart table shows them.</summary>
public sealed class CartTests : BunitContext
{
    [Fact]
    public void Adding_a_product_again_adds_to_its_line_up_to_the_maximum()
    {
        var cart = new ShoppingCart();

        cart.Add(7, 2);
        cart.Add(7, 3);
        cart.Add(8);
        cart.Add(8, 5_000);

        Assert.Equal([new CartLine(7, 5), new CartLine(8, ShoppingCart.MaxQuantity)], cart.Lines);
        Assert.Equal(5 + ShoppingCart.MaxQuantity, cart.Count);
    }

    [Fact]
    public void A_full_cart_takes_no_new_product_but_more_of_one_it_has()
    {
        var cart = new ShoppingCart(Enumerable.Range(1, ShoppingCart.MaxLines).Select(id => new CartLine(id, 1)));

        Assert.False(cart.Add(ShoppingCart.MaxLines + 1));
        Assert.True(cart.Add(1));
        Assert.Equal(ShoppingCart.MaxLines, cart.Lines.Count);
    }

    [Fact]
    public void A_quantity_of_zero_removes_the_line()
    {
        var cart = new ShoppingCart([new CartLine(1, 2), new CartLine(2, 1)]);

        cart.SetQuantity(1, 0);

        Assert.Equal([new CartLine(2, 1)], cart.Lines);
    }

    [Fact]
    public void The_total_uses_current_prices_and_is_unknown_while_a_price_is()
    {
        var cart = new ShoppingCart([new CartLine(1, 3), new CartLine(2, 2)]);

        Assert.Equal(3 * 4.50m + 2 * 10.25m, cart.Total(new Dictionary<int, decimal> { [1] = 4.50m, [2] = 10.25m }));
        Assert.Null(cart.Total(new Dictionary<int, decimal> { [1] = 4.50m }));
    }

    [Fact]
    public void The_table_shows_each_line_its_subtotal_a_stock_warning_and_the_total()
    {
        var cart = new ShoppingCart([new CartLine(1, 3), new CartLine(2, 2)]);
        var products = new Dictionary<int, Product>
        {
            [1] = new(1, "Blazor Mug", null, 4.50m, 10),
            [2] = new(2, "Redis Cap", null, 10.25m, 1),
        };

        var table = Render<CartView>(parameters => parameters.Add(p => p.Cart, cart).Add(p => p.Products, products));

        Assert.Equal(2, table.FindAll("[data-testid=cart-line]").Count);
        Assert.Contains("$13.50", table.FindAll("[data-testid=cart-line]")[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("only 1 in stock", table.FindAll("[data-testid=cart-line]")[1].TextContent, StringComparison.Ordinal);
        Assert.Equal("$34.00", table.Find("[data-testid=cart-total]").TextContent);
    }

    [Fact]
    public void Changing_a_quantity_or_removing_a_line_tells_the_page()
    {
        var changes = new List<(int, int)>();
        var cart = new ShoppingCart([new CartLine(1, 3)]);
        var table = Render<CartView>(parameters => parameters
            .Add(p => p.Cart, cart)
            .Add(p => p.Products, new Dictionary<int, Product> { [1] = new(1, "Blazor Mug", null, 4.50m, 10) })
            .Add(p => p.OnChange, EventCallback.Factory.Create<(int, int)>(this, changes.Add)));

        table.Find("input").Change("5");
        table.Find("button").Click();

        Assert.Equal([(1, 5), (1, 0)], changes);
    }
}
