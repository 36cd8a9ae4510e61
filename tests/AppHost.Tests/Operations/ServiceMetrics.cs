using Microsoft.Extensions.DependencyInjection;
using System.Globalization;

namespace Platform.AppHost.Tests.Operations;

/// <summary>
/// The services' Prometheus scrape endpoints, each process's own: the port in its environment (<c>Metrics__Port</c>), not
/// the resource's endpoint, whose proxy reaches one replica at a time.
/// </summary>
internal static class ServiceMetrics
{
    /// <summary>The addresses of every process of <paramref name="resource"/> and of its extra instances (<c>orders-2</c>…).</summary>
    public static async Task<IReadOnlyList<Uri>> EndpointsAsync(DistributedApplication app, string resource)
    {
        var resources = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ProjectResource>()
            .Select(r => r.Name).Where(name => name == resource || (name.StartsWith($"{resource}-", StringComparison.Ordinal) && int.TryParse(name[(resource.Length + 1)..], out _)));
        var ports = new List<string>();
        foreach (var name in resources)
        {
            ports.AddRange((await LocalProcesses.EnvironmentsOfAsync(app, name))
                .Select(environment => environment.FirstOrDefault(v => v.StartsWith("Metrics__Port=", StringComparison.Ordinal))?.Split('=', 2)[1])
                .OfType<string>());
        }

        Assert.NotEmpty(ports);
        return [.. ports.Distinct().Select(port => new Uri($"http://localhost:{port}/"))];
    }

    /// <summary>What every process of <paramref name="resource"/> (and its instances) exports now.</summary>
    public static async Task<MetricsPage> ScrapeAsync(DistributedApplication app, string resource)
    {
        using var http = new HttpClient();
        var pages = new List<string>();
        foreach (var endpoint in await EndpointsAsync(app, resource))
        {
            pages.Add(await http.GetStringAsync(new Uri(endpoint, "/metrics"), TestContext.Current.CancellationToken));
        }

        return MetricsPage.Parse(pages);
    }
}

/// <summary>Samples of Prometheus's text format: <c>name{labels} value</c>.</summary>
internal sealed record MetricsPage(IReadOnlyList<(string Name, string Labels, double Value)> Samples)
{
    public static MetricsPage Parse(IEnumerable<string> pages) => new([.. pages
        .SelectMany(page => page.Split('\n'))
        .Where(line => line.Length > 0 && line[0] != '#')
        .Select(line =>
        {
            var nameEnd = line.IndexOfAny(['{', ' ']);
            var labelsEnd = line[nameEnd] == '{' ? line.LastIndexOf('}') + 1 : nameEnd;
            var value = line[labelsEnd..].Trim().Split(' ')[0];
            return (line[..nameEnd], line[nameEnd..labelsEnd], double.Parse(value, CultureInfo.InvariantCulture));
        })]);

    public IReadOnlySet<string> Names => Samples.Select(s => s.Name).ToHashSet();

    /// <summary>The sum of the samples of <paramref name="name"/> whose labels include every one of <paramref name="labels"/> (<c>key="value"</c>).</summary>
    public double Sum(string name, params string[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.Contains(l, StringComparison.Ordinal))).Sum(s => s.Value);
}
