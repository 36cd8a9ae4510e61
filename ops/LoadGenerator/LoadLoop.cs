using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Platform.LoadGenerator;

/// <summary>
/// An open-loop generator: every 1/<see cref="LoadOptions.OrdersPerSecond"/> s a customer visit starts — some catalog
/// reads (the first page, a product), then an order of one of the listed products — whether or not the earlier ones have
/// been answered. The rate is read again each second, so the dashboard's <c>Set rate</c> takes effect at once.
/// </summary>
public sealed partial class LoadLoop(IOptionsMonitor<LoadOptions> options, CustomerSession customer, LoadMetrics metrics, TimeProvider time,
    ILogger<LoadLoop> logger) : BackgroundService
{
    private static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(10);
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
    {
        BaseAddress = options.CurrentValue.Gateway,
        Timeout = TimeSpan.FromSeconds(30),
    };

    private int[] _products = [];
    private int _inFlight;
    private int _lastRefusal;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await SignInAsync(stoppingToken); // before the first visit: no burst of visits waiting for a token
        var nextReport = time.GetTimestamp();
        var due = time.GetTimestamp();
        while (!stoppingToken.IsCancellationRequested)
        {
            var settings = options.CurrentValue;
            if (settings.OrdersPerSecond <= 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
                due = time.GetTimestamp();
                continue;
            }

            var interval = TimeSpan.FromSeconds(1 / settings.OrdersPerSecond);
            // Paced, not catching up: after a stall (a paused machine, a slow sign-in) the rate resumes, without a burst.
            due = Math.Max(due + (long)(interval.TotalSeconds * time.TimestampFrequency), time.GetTimestamp() - time.TimestampFrequency);
            if (time.GetElapsedTime(time.GetTimestamp(), due) is { Ticks: > 0 } wait)
            {
                await Task.Delay(wait, time, stoppingToken);
            }

            metrics.Offered();
            if (Interlocked.Increment(ref _inFlight) > settings.MaxInFlight)
            {
                Interlocked.Decrement(ref _inFlight);
                metrics.Skipped();
            }
            else
            {
                _ = VisitAsync(settings, stoppingToken);
            }

            if (time.GetTimestamp() >= nextReport)
            {
                var (offered, accepted, failed) = metrics.Totals;
                LogProgress(logger, settings.OrdersPerSecond, offered, accepted, failed);
                nextReport = time.GetTimestamp() + (long)(ReportEvery.TotalSeconds * time.TimestampFrequency);
            }
        }
    }

    private async Task SignInAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                await customer.TokenAsync(stoppingToken);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException)
            {
                LogSignInFailed(logger, e.Message); // the gateway or identity not there yet
                await Task.Delay(TimeSpan.FromSeconds(2), time, stoppingToken);
            }
        }
    }

    private async Task VisitAsync(LoadOptions settings, CancellationToken ct)
    {
        try
        {
            // The product list first when none is known yet: an order needs a product.
            for (var i = _products.Length == 0 ? -1 : 0; i < settings.ReadsPerOrder; i++)
            {
                var path = i <= 0 || i % 2 == 0 || _products.Length == 0 ? "/api/catalog/products" : $"/api/catalog/products/{Pick()}";
                using var read = await SendAsync(HttpMethod.Get, path, content: null, ct);
                if (path == "/api/catalog/products" && read.IsSuccessStatusCode)
                {
                    var page = await read.Content.ReadFromJsonAsync<JsonElement>(ct);
                    _products = [.. page.GetProperty("items").EnumerateArray().Select(p => p.GetProperty("id").GetInt32())];
                }
            }

            if (_products.Length > 0)
            {
                var order = JsonContent.Create(new { items = new[] { new { productId = Pick(), quantity = 1 } } });
                using var placed = await SendAsync(HttpMethod.Post, "/api/orders/orders", order, ct);
                if (!placed.IsSuccessStatusCode && Interlocked.Exchange(ref _lastRefusal, (int)placed.StatusCode) != (int)placed.StatusCode)
                {
                    // Each new kind of refusal once, with what the API said (a 429 or a 503 under too much load, say).
                    LogOrderRefused(logger, (int)placed.StatusCode, await placed.Content.ReadAsStringAsync(ct));
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopping
        }
        catch (Exception e)
        {
            LogVisitFailed(logger, e.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        var operation = method == HttpMethod.Post ? "order" : "read";
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await customer.TokenAsync(ct));
        if (method == HttpMethod.Post)
        {
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        }

        try
        {
            var response = await _http.SendAsync(request, ct);
            metrics.Answered(operation, $"{(int)response.StatusCode}", response.IsSuccessStatusCode);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                customer.Expire();
            }

            return response;
        }
        catch (HttpRequestException)
        {
            metrics.Answered(operation, "error", ok: false);
            throw;
        }
    }

    private int Pick() => _products[Random.Shared.Next(_products.Length)];

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    [LoggerMessage(LogLevel.Information, "Offering {Rate} orders/s: {Offered} offered so far, {Accepted} accepted, {Failed} failed")]
    private static partial void LogProgress(ILogger logger, double rate, long offered, long accepted, long failed);

    [LoggerMessage(LogLevel.Warning, "Orders are refused with {Status}: {Problem}")]
    private static partial void LogOrderRefused(ILogger logger, int status, string problem);

    [LoggerMessage(LogLevel.Warning, "Could not sign in, trying again in 2 s: {Reason}")]
    private static partial void LogSignInFailed(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Warning, "A visit failed: {Reason}")]
    private static partial void LogVisitFailed(ILogger logger, string reason);
}
