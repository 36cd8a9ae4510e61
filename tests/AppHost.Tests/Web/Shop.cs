using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Platform.AppHost.Tests.Web;

/// <summary>What a person does in the web app, as steps for the browser journeys.</summary>
internal sealed partial class Shop(IPage page)
{
    public IPage Page => page;

    /// <summary>Opens a page and waits until it is interactive (its circuit is connected), so that clicks do something.</summary>
    public async Task OpenAsync(string path)
    {
        var pending = new System.Collections.Concurrent.ConcurrentDictionary<IRequest, DateTime>();
        void Started(object? sender, IRequest request) => pending[request] = DateTime.UtcNow;
        void Ended(object? sender, IRequest request) => pending.TryRemove(request, out _);
        page.Request += Started;
        page.RequestFinished += Ended;
        page.RequestFailed += Ended;
        try
        {
            await page.GotoAsync(path);
        }
        catch (TimeoutException e)
        {
            // Which requests kept the page from loading.
            throw new TimeoutException($"{e.Message} Still pending: {string.Join(", ", pending.Keys.Select(r => $"{r.Method} {r.Url}"))}", e);
        }
        finally
        {
            page.Request -= Started;
            page.RequestFinished -= Ended;
            page.RequestFailed -= Ended;
        }

        await Expect(page.Locator("main[data-interactive=true]")).ToBeVisibleAsync(new() { Timeout = 30_000 });
    }

    public async Task RegisterAsync(string email, string password)
    {
        await OpenAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Register" }).ClickAsync();
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create the account" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
    }

    public async Task SignInAsync(string email, string password)
    {
        await OpenAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        try
        {
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        }
        catch (PlaywrightException e)
        {
            // Where the sign-in ended up, and what that page says: a failure must tell why.
            var text = await page.Locator("body").InnerTextAsync(new() { Timeout = 5_000 });
            throw new InvalidOperationException($"Not signed in as {email}: the page is {page.Url}, saying: {text[..Math.Min(text.Length, 1_500)]}", e);
        }
    }

    /// <summary>Searches the catalog and opens the first product whose name is <paramref name="name"/>; returns its id.</summary>
    public async Task<int> OpenProductAsync(string name)
    {
        await OpenAsync("/");
        await page.GetByLabel("Search").FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        var link = page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true });
        var href = await link.GetAttributeAsync("href");
        await OpenAsync("/" + href);
        return int.Parse(ProductId().Match(href!).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<int> StockAsync() =>
        int.Parse(Digits().Match(await page.GetByTestId("stock").InnerTextAsync()).Value, System.Globalization.CultureInfo.InvariantCulture);

    public async Task AddToCartAsync(int quantity)
    {
        await page.GetByLabel("Quantity").FillAsync(quantity.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Add to cart" }).ClickAsync();
        await Expect(page.GetByText($"Added {quantity} to the cart.")).ToBeVisibleAsync();
    }

    [GeneratedRegex(@"products/(\d+)")]
    private static partial Regex ProductId();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();
}
