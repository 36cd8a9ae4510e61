using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.AppHost.Tests.Operations;

/// <summary>
/// A real Prometheus (Debian's binary, the one promtool comes with) scraping targets every second and evaluating the
/// given rules every second, on loopback, with its data in a temporary folder; disposing stops it and removes both.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _directory;
    private readonly HttpClient _http;

    private PrometheusServer(Process process, DirectoryInfo directory, Uri address)
    {
        _process = process;
        _directory = directory;
        _http = new HttpClient { BaseAddress = address };
    }

    /// <param name="targets">Scrape targets: a job name, the endpoint's address and the path of its metrics (a job may have several).</param>
    /// <param name="rules">The rules file's text.</param>
    public static async Task<PrometheusServer> StartAsync(IEnumerable<(string Job, Uri Address, string Path)> targets, string rules)
    {
        var directory = Directory.CreateTempSubdirectory("prometheus-test-");
        await File.WriteAllTextAsync(Path.Combine(directory.FullName, "alerts.yml"), rules);
        var jobs = string.Concat(targets.GroupBy(t => (t.Job, t.Path)).Select(job => $"""

              - job_name: {job.Key.Job}
                metrics_path: {job.Key.Path}
                static_configs: [ {"{"} targets: [ {string.Join(", ", job.Select(t => $"\"{t.Address.Authority}\""))} ] {"}"} ]
            """));
        await File.WriteAllTextAsync(Path.Combine(directory.FullName, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: [ alerts.yml ]
            scrape_configs:{jobs}
            """);

        var port = Ports.Free();
        var start = new ProcessStartInfo("prometheus") { WorkingDirectory = directory.FullName, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--config.file=prometheus.yml", "--storage.tsdb.path=data", $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, line) => log.Enqueue(line.Data ?? "");
        process.ErrorDataReceived += (_, line) => log.Enqueue(line.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, directory, new Uri($"http://127.0.0.1:{port}/"));
        await Eventually.ReachesAsync(server.IsReadyAsync, ready => ready || process.HasExited,
            _ => $"Prometheus did not become ready: {string.Join('\n', log)}", TimeSpan.FromSeconds(30));
        Assert.False(process.HasExited, $"Prometheus stopped: {string.Join('\n', log)}");
        return server;
    }

    private async Task<bool> IsReadyAsync()
    {
        try
        {
            return (await _http.GetAsync("-/ready")).StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>The alerts in state <c>firing</c>, each as its labels.</summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, string>>> FiringAlertsAsync()
    {
        using var response = await _http.GetFromJsonAsync<JsonDocument>("api/v1/alerts");
        return [.. response!.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .Where(a => a.GetProperty("state").GetString() == "firing")
            .Select(a => (IReadOnlyDictionary<string, string>)a.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""))];
    }

    /// <summary>Every metric name Prometheus holds series of.</summary>
    public async Task<IReadOnlySet<string>> MetricNamesAsync()
    {
        using var response = await _http.GetFromJsonAsync<JsonDocument>("api/v1/label/__name__/values");
        return response!.RootElement.GetProperty("data").EnumerateArray().Select(n => n.GetString()!).ToHashSet();
    }

    /// <summary>An instant query's result: each series' labels and value.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, string Value)>> QueryAsync(string query)
    {
        using var response = await _http.GetFromJsonAsync<JsonDocument>($"api/v1/query?query={Uri.EscapeDataString(query)}");
        return [.. response!.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
            .Select(r => ((IReadOnlyDictionary<string, string>)r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
                r.GetProperty("value")[1].GetString() ?? ""))];
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _http.Dispose();
        _directory.Delete(recursive: true);
    }

}
