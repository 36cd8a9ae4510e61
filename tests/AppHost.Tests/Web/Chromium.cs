using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(Platform.AppHost.Tests.Web.Chromium))]

namespace Platform.AppHost.Tests.Web;

/// <summary>
/// One headless Chromium for the browser tests — Debian's <c>chromium</c> package, driven by Playwright (no browser
/// download) — started on first use and closed with the test run. Each test gets a context of its own (cookies, storage).
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private readonly SemaphoreSlim _starting = new(1, 1);
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Where the tests put their screenshots: <c>TestResults/screenshots</c> next to the test binaries.</summary>
    public static string ScreenshotDirectory { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots")).FullName;

    public async Task<IBrowserContext> NewContextAsync(Uri baseUrl, int width = 1280, int height = 900)
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"{ExecutablePath} is missing: install Debian's chromium (eng/test.sh does).");
        }

        await _starting.WaitAsync();
        try
        {
            _playwright ??= await Playwright.CreateAsync();
            _browser ??= await _playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            });
        }
        finally
        {
            _starting.Release();
        }

        // A machine running the whole platform on two cores is slow at times: generous waits, never sleeps.
        Assertions.SetDefaultExpectTimeout(30_000);
        var context = await _browser.NewContextAsync(new() { BaseURL = baseUrl.ToString(), ViewportSize = new() { Width = width, Height = height } });
        context.SetDefaultTimeout(30_000);
        context.SetDefaultNavigationTimeout(60_000);
        return context;
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, $"{name}.png"), FullPage = true });

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        _starting.Dispose();
    }
}
