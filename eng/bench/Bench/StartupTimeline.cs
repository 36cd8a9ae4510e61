using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.Bench;

/// <summary>
/// When each resource (each instance) was launched (running) and became healthy — or, for a migration step,
/// finished — in seconds from the app's start: where the start-up time goes.
/// </summary>
internal sealed class StartupTimeline
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly DateTime _start = DateTime.UtcNow;
    private readonly Dictionary<string, Entry> _entries = [];

    private sealed class Entry
    {
        public double? Running;
        public double? Ready;
    }

    /// <summary>Watches <paramref name="app"/>'s resource events until <paramref name="cancellation"/>; start it before the app starts.</summary>
    public static StartupTimeline Watch(DistributedApplication app, CancellationToken cancellation)
    {
        var timeline = new StartupTimeline();
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var change in app.ResourceNotifications.WatchAsync(cancellation))
                {
                    if (change.Resource is not ParameterResource)
                    {
                        timeline.Record(change.ResourceId, change.Snapshot);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // done watching
            }
        }, CancellationToken.None);
        return timeline;
    }

    private void Record(string id, CustomResourceSnapshot snapshot)
    {
        var now = _clock.Elapsed.TotalSeconds;
        lock (_entries)
        {
            var entry = _entries.TryGetValue(id, out var found) ? found : _entries[id] = new Entry();
            var state = snapshot.State?.Text;
            // Every resource reports Starting (then Waiting) at once; its start time is when its process was launched
            // (a short step may be reported only once it has finished).
            if (snapshot.StartTimeStamp is { } started && entry.Running is null)
            {
                entry.Running = (started.ToUniversalTime() - _start).TotalSeconds;
            }

            var finished = state == KnownResourceStates.Finished || state == KnownResourceStates.Exited;
            if (finished && snapshot.StopTimeStamp is { } stopped)
            {
                now = (stopped.ToUniversalTime() - _start).TotalSeconds;
            }

            var healthy = state == KnownResourceStates.Running && snapshot.HealthStatus == HealthStatus.Healthy;
            if (entry.Ready is null && (finished || healthy))
            {
                entry.Ready = now;
            }
        }
    }

    /// <summary>The resource instance that took longest from launch to ready among those whose id starts with one of <paramref name="prefixes"/>.</summary>
    public (string Id, double Seconds)? LongestStart(params string[] prefixes)
    {
        lock (_entries)
        {
            return _entries.Where(e => e.Value is { Running: not null, Ready: not null } && prefixes.Any(p => e.Key.StartsWith(p, StringComparison.Ordinal)))
                .Select(e => (e.Key, e.Value.Ready!.Value - e.Value.Running!.Value))
                .OrderByDescending(e => e.Item2).Cast<(string, double)?>().FirstOrDefault();
        }
    }

    public void Print(string which)
    {
        Console.WriteLine($"start-up timeline of {which} (s from start; ready = healthy, or finished for a step):");
        Console.WriteLine($"    {"resource",-32} {"launched",8} {"ready",8}");
        lock (_entries)
        {
            foreach (var (id, entry) in _entries.Where(e => e.Value.Ready is not null).OrderBy(e => e.Value.Ready))
            {
                Console.WriteLine($"    {id,-32} {Format(entry.Running),8} {Format(entry.Ready),8}");
            }
        }
    }

    private static string Format(double? seconds) =>
        seconds is { } s ? s.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) : "–";
}
