using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Platform.Bench;

/// <summary>
/// What the web app costs a user and the server, in Debian's chromium: time to first render (first contentful paint,
/// the prerendered page) and to interactive (circuit connected) of the catalog and "my orders", warm, beside the same
/// data's API call through the gateway from this process (the ratio is the page's overhead on its data); the web app's
/// idle memory; and the memory each further open interactive page (circuit) costs the server.
/// </summary>
internal static class WebBenchmark
{
    private const string Chromium = "/usr/bin/chromium";

    public static async Task RunAsync(string[] args)
    {
        var loads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30;
        var circuits = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50;
        var stateDirectory = Directory.CreateTempSubdirectory("platform-bench-").FullName;
        try
        {
            Console.WriteLine($"Web app (2 replicas) in local mode on {Environment.ProcessorCount} cores; headless chromium; " +
                              $"{loads} warm loads per page, {circuits} circuits");
            Console.WriteLine();
            var (_, app) = await BenchApp.StartAsync(stateDirectory, withDashboard: false, configure: null,
                "--Gateway:RateLimits:PerCaller:PermitLimit=1000000000");
            await using (app)
            {
                await Task.Delay(TimeSpan.FromSeconds(5));
                var idle = WebMemory();
                var password = await app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>()
                    .Single(p => p.Name == "identity-demo-password").GetValueAsync(default);

                using var playwright = await Playwright.CreateAsync();
                await using var browser = await playwright.Chromium.LaunchAsync(new()
                {
                    ExecutablePath = Chromium,
                    Headless = true,
                    Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
                });
                await using var context = await browser.NewContextAsync(new() { BaseURL = app.GetEndpoint("web", "http").ToString() });
                var page = await context.NewPageAsync();
                await SignInAsync(page, "customer@platform.test", password!);

                var catalog = await LoadAsync(page, "/", loads);
                var orders = await LoadAsync(page, "/orders", loads);
                var token = await MachineToken.GetAsync(app);
                var catalogApi = await ApiAsync(app, "/api/catalog/products?pageSize=12", token, loads);
                var ordersApi = await ApiAsync(app, "/api/orders/orders?pageSize=20", token, loads);

                var before = WebMemory();
                var open = new List<IPage>();
                for (var i = 0; i < circuits; i++)
                {
                    var tab = await context.NewPageAsync();
                    await tab.GotoAsync("/orders");
                    await tab.Locator("main[data-interactive=true]").WaitForAsync();
                    open.Add(tab);
                }

                await Task.Delay(TimeSpan.FromSeconds(5));
                var after = WebMemory();

                Console.WriteLine($"  catalog page   first render {catalog.Paint}   interactive {catalog.Interactive}");
                Console.WriteLine($"  catalog API    through the gateway {catalogApi}   → first render = {catalog.Paint.P50 / catalogApi.P50:F1}× the API call (p50)");
                Console.WriteLine($"  my orders      first render {orders.Paint}   interactive {orders.Interactive}");
                Console.WriteLine($"  orders API     through the gateway {ordersApi}   → first render = {orders.Paint.P50 / ordersApi.P50:F1}× the API call (p50)");
                Console.WriteLine();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"web app idle (2 replicas, PSS): {idle / 1048576.0:F0} MiB; with {circuits} more open circuits: {after / 1048576.0:F0} MiB " +
                    $"= {(after - before) / 1024.0 / circuits:F0} KiB per circuit"));
            }
        }
        finally
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }

    private static long WebMemory() => ProcessTree.ResidentMemory().ByProcess.GetValueOrDefault("Platform.Web");

    private static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/account/login?returnUrl=/");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).WaitForAsync();
    }

    private static async Task<(Percentiles Paint, Percentiles Interactive)> LoadAsync(IPage page, string path, int loads)
    {
        var paints = new List<double>();
        var interactive = new List<double>();
        for (var i = -3; i < loads; i++) // three warm-up loads
        {
            var clock = Stopwatch.StartNew();
            await page.GotoAsync(path);
            await page.Locator("main[data-interactive=true]").WaitForAsync();
            var ready = clock.Elapsed.TotalMilliseconds;
            var paint = await page.EvaluateAsync<double>(
                "() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1");
            if (i >= 0)
            {
                paints.Add(paint);
                interactive.Add(ready);
            }
        }

        return (new Percentiles(paints), new Percentiles(interactive));
    }

    private static async Task<Percentiles> ApiAsync(DistributedApplication app, string path, string token, int calls)
    {
        using var http = new HttpClient { BaseAddress = app.GetEndpoint("gateway", "http") };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var times = new List<double>();
        for (var i = -3; i < calls; i++)
        {
            var clock = Stopwatch.StartNew();
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            await response.Content.ReadAsByteArrayAsync();
            response.EnsureSuccessStatusCode();
            if (i >= 0)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        return new Percentiles(times);
    }

    private sealed class Percentiles(List<double> values)
    {
        private readonly List<double> _sorted = [.. values.Order()];

        public double P50 => _sorted[(int)(_sorted.Count * 0.5)];

        public double P95 => _sorted[Math.Min(_sorted.Count - 1, (int)(_sorted.Count * 0.95))];

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"p50 {P50,6:F1} ms, p95 {P95,6:F1} ms");
    }
}
