using System.Globalization;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Microsoft.Extensions.DependencyInjection;
using Platform.AppHost.Tests.Identity;
using static Microsoft.Playwright.Assertions;

namespace Platform.AppHost.Tests.Web;

/// <summary>The web app in a real browser (Debian's chromium) against the whole running platform.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class WebJourneyTests(SharedAppFixture fixture, Chromium chromium)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private Uri Web => fixture.LocalApp.GetEndpoint("web", "http");

    private static async Task<Shop> OpenShopAsync(IBrowserContext context) => new(await context.NewPageAsync());

    [Fact]
    public async Task A_new_customer_registers_shops_and_sees_the_order_confirmed_without_reloading()
    {
        await using var context = await chromium.NewContextAsync(Web);
        var shop = await OpenShopAsync(context);
        await shop.RegisterAsync($"shopper-{Guid.NewGuid():N}@platform.test", "Shopper-Password-1");

        var mug = await shop.OpenProductAsync("Blazor Mug");
        var mugStock = await shop.StockAsync();
        await shop.AddToCartAsync(2);
        await shop.OpenProductAsync("Redis Cap");
        await shop.AddToCartAsync(1);

        await shop.OpenAsync("/cart");
        await Expect(shop.Page.GetByTestId("cart-line")).ToHaveCountAsync(2);
        await Chromium.ScreenshotAsync(shop.Page, "journey1-cart");
        await shop.Page.GetByRole(AriaRole.Button, new() { Name = "Place order" }).ClickAsync();

        // The page shows the outcome by itself: pushed from the bus, no reload.
        var status = shop.Page.GetByTestId("order-status").First;
        await Expect(status).ToHaveTextAsync("confirmed", new() { Timeout = 30_000 });
        await Expect(shop.Page.GetByTestId("order-total")).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(shop.Page, "journey1-order-confirmed");

        await shop.OpenAsync("/orders");
        await Expect(shop.Page.GetByTestId("order-row")).ToHaveCountAsync(1);
        await Expect(shop.Page.GetByTestId("order-row").GetByTestId("order-status")).ToHaveTextAsync("confirmed");

        await shop.OpenAsync($"/products/{mug}");
        Assert.Equal(mugStock - 2, await shop.StockAsync());

        // Signing out ends the identity service's session too: signing in again asks for the password.
        await shop.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(shop.Page.GetByRole(AriaRole.Link, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await shop.Page.GetByRole(AriaRole.Link, new() { Name = "Sign in" }).ClickAsync();
        await Expect(shop.Page.GetByRole(AriaRole.Button, new() { Name = "Log in" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task An_admin_changes_a_price_that_customers_then_see_and_customers_cannot_open_the_back_office()
    {
        var password = await new IdentityClient(fixture.LocalApp).SecretAsync("identity-demo-password", Cancellation);
        await using var adminContext = await chromium.NewContextAsync(Web);
        var admin = await OpenShopAsync(adminContext);
        await admin.SignInAsync(IdentityClient.Admin, password);
        var id = await admin.OpenProductAsync("OpenTelemetry Backpack");
        await admin.OpenAsync($"/admin/products/{id}");
        var price = decimal.Parse(await admin.Page.GetByLabel("Price").InputValueAsync(), CultureInfo.InvariantCulture) + 1.25m;
        await admin.Page.GetByLabel("Price").FillAsync(price.ToString(CultureInfo.InvariantCulture));
        await admin.Page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(admin.Page.GetByText("Saved.")).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(admin.Page, "journey3-back-office");

        await using var customerContext = await chromium.NewContextAsync(Web);
        var customer = await OpenShopAsync(customerContext);
        await customer.SignInAsync(IdentityClient.Customer, password);
        await customer.OpenAsync($"/products/{id}");
        await Expect(customer.Page.GetByTestId("price")).ToHaveTextAsync(price.ToString("C", CultureInfo.GetCultureInfo("en-US")));

        await customer.Page.GotoAsync("/admin/products");
        await Expect(customer.Page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
        await Expect(customer.Page.GetByRole(AriaRole.Link, new() { Name = "Back office" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task With_the_orders_service_down_checkout_says_so_and_works_again_after_its_restart()
    {
        var password = await new IdentityClient(fixture.LocalApp).SecretAsync("identity-demo-password", Cancellation);
        await using var context = await chromium.NewContextAsync(Web);
        var shop = await OpenShopAsync(context);
        await shop.SignInAsync(IdentityClient.Customer, password);
        await shop.OpenProductAsync("Aspire Sticker pack");
        await shop.AddToCartAsync(1);

        var commands = fixture.LocalApp.Services.GetRequiredService<ResourceCommandService>();
        foreach (var instance in new[] { "orders", "orders-2" })
        {
            Assert.True((await commands.ExecuteCommandAsync(instance, KnownResourceCommands.StopCommand, Cancellation)).Success);
        }

        try
        {
            await shop.OpenAsync("/cart");
            await shop.Page.GetByRole(AriaRole.Button, new() { Name = "Place order" }).ClickAsync();
            await Expect(shop.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not available right now");
            await Expect(shop.Page.GetByTestId("cart-line")).ToHaveCountAsync(1); // nothing placed, the cart is kept
            await Chromium.ScreenshotAsync(shop.Page, "journey4-orders-down");
        }
        finally
        {
            foreach (var instance in new[] { "orders", "orders-2" })
            {
                await fixture.LocalApp.StartAgainAsync(instance, Cancellation);
            }
        }

        // The gateway takes the instances back after their health checks; the same cart then goes through.
        await Eventually.ReachesAsync(async () =>
        {
            var placeOrder = shop.Page.GetByRole(AriaRole.Button, new() { Name = "Place order" });
            if (await placeOrder.CountAsync() > 0 && await placeOrder.IsEnabledAsync())
            {
                await placeOrder.ClickAsync(new() { Timeout = 2_000 });
            }

            await Task.Delay(1_000, Cancellation);

            return shop.Page.Url;
        }, url => url.Contains("/orders/", StringComparison.Ordinal), url => $"still on {url} after the restart", TimeSpan.FromSeconds(45));
        await Expect(shop.Page.GetByTestId("order-status").First).ToHaveTextAsync("confirmed", new() { Timeout = 30_000 });
    }

    [Fact]
    public async Task The_main_pages_have_no_serious_accessibility_violations()
    {
        var password = await new IdentityClient(fixture.LocalApp).SecretAsync("identity-demo-password", Cancellation);
        await using var context = await chromium.NewContextAsync(Web);
        var shop = await OpenShopAsync(context);
        await shop.SignInAsync(IdentityClient.Admin, password);
        var violations = new List<string>();
        foreach (var path in new[] { "/", "/products/1", "/cart", "/orders", "/admin/products", "/admin/products/1" })
        {
            await shop.OpenAsync(path);
            var results = await shop.Page.RunAxe();
            violations.AddRange(results.Violations.Where(v => v.Impact is "serious" or "critical")
                .Select(v => $"{path} {v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => n.Html))})"));
        }

        Assert.Empty(violations);
    }
}

//#if (workers)
/// <summary>The web app when the payment provider declines every charge.</summary>
[Collection(DeclinedPaymentsCollection.Name)]
public sealed class DeclinedPaymentWebTests(DeclinedPaymentsFixture fixture, Chromium chromium)
{
    [Fact]
    public async Task A_declined_payment_shows_the_order_cancelled_with_the_reason_without_reloading()
    {
        var password = await new IdentityClient(fixture.App).SecretAsync("identity-demo-password", TestContext.Current.CancellationToken);
        await using var context = await chromium.NewContextAsync(fixture.App.GetEndpoint("web", "http"));
        var shop = new Shop(await context.NewPageAsync());
        await shop.SignInAsync(IdentityClient.Customer, password);
        await shop.OpenProductAsync("Postgres Notebook");
        await shop.AddToCartAsync(1);
        await shop.OpenAsync("/cart");
        await shop.Page.GetByRole(AriaRole.Button, new() { Name = "Place order" }).ClickAsync();

        // Declined after the provider's 3 s: the page turns from processing to cancelled by itself, with the reason.
        await Expect(shop.Page.GetByTestId("order-status").First).ToHaveTextAsync("processing");
        await Expect(shop.Page.GetByTestId("order-status").First).ToHaveTextAsync("cancelled", new() { Timeout = 30_000 });
        await Expect(shop.Page.GetByTestId("order-reason")).ToContainTextAsync("declined", new() { IgnoreCase = true });
        await Chromium.ScreenshotAsync(shop.Page, "journey2-payment-declined");
    }
}
//#endif
