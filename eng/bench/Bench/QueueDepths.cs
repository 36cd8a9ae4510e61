using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace Platform.Bench;

/// <summary>Samples the broker's queues (management API) once a second until disposed; keeps each queue's deepest backlog.</summary>
internal sealed class QueueDepths : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _http;
    private readonly Task _sampler;

    private QueueDepths(HttpClient http)
    {
        _http = http;
        _sampler = Task.Run(SampleAsync);
    }

    /// <summary>Deepest number of messages (ready + unacknowledged) seen per queue.</summary>
    public Dictionary<string, long> Deepest { get; } = [];

    public static async Task<QueueDepths> StartAsync(DistributedApplication app)
    {
        var broker = new Uri(await app.GetConnectionStringAsync("eventbus") ?? "");
        var http = new HttpClient { BaseAddress = app.GetEndpoint("eventbus", "management") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(broker.UserInfo))));
        return new QueueDepths(http);
    }

    private async Task SampleAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var queues = JsonDocument.Parse(await _http.GetStringAsync(new Uri("/api/queues?columns=name,messages", UriKind.Relative), _stop.Token));
                foreach (var queue in queues.RootElement.EnumerateArray())
                {
                    var name = queue.GetProperty("name").GetString()!;
                    var messages = queue.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt64() : 0;
                    Deepest[name] = Math.Max(Deepest.GetValueOrDefault(name), messages);
                }

                await Task.Delay(1000, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (HttpRequestException)
            {
                // a sample lost; the next one counts
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampler;
        _stop.Dispose();
        _http.Dispose();
    }
}
