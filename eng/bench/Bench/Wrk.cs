using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Platform.Bench;

/// <summary>Runs <c>wrk</c> (HTTP load on loopback) and reads its summary.</summary>
internal static partial class Wrk
{
    public sealed record Result(double RequestsPerSecond, double P50Ms, double P99Ms, long Errors)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{RequestsPerSecond,8:F0} req/s   p50 {P50Ms,6:F2} ms   p99 {P99Ms,7:F2} ms{(Errors > 0 ? $"   {Errors} non-2xx/3xx!" : "")}");
    }

    /// <summary>Connections of every HTTP load the benchmarks drive.</summary>
    public const int Connections = 16;

    /// <summary>How long each load runs unmeasured first (JIT, caches, connection pools).</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    /// <summary>A warm-up run, then the measured one. The script is made per run, so the two can send different requests.</summary>
    public static async Task<Result> WarmThenRunAsync(Uri url, TimeSpan duration, IReadOnlyList<string> headers, Func<string>? script = null)
    {
        await RunAsync(url, WarmUp, Connections, headers, script?.Invoke());
        return await RunAsync(url, duration, Connections, headers, script?.Invoke());
    }

    public const int AlternatingRounds = 3;

    /// <summary>
    /// A ratio's two loads in alternating rounds (after one warm-up each), each figure the median of its rounds: on a
    /// shared machine a single run of the trivial endpoint swings two- to four-fold between runs of the same build.
    /// </summary>
    public static async Task<(Result Baseline, Result Measured)> AlternatingAsync(
        Uri baseline, Uri measured, TimeSpan duration, IReadOnlyList<string> measuredHeaders)
    {
        await RunAsync(baseline, WarmUp, Connections, []);
        await RunAsync(measured, WarmUp, Connections, measuredHeaders);
        var baselines = new List<Result>();
        var measureds = new List<Result>();
        for (var round = 0; round < AlternatingRounds; round++)
        {
            baselines.Add(await RunAsync(baseline, duration, Connections, []));
            measureds.Add(await RunAsync(measured, duration, Connections, measuredHeaders));
        }

        return (Median(baselines), Median(measureds));
    }

    private static Result Median(List<Result> results) => results.OrderBy(r => r.RequestsPerSecond).ElementAt(results.Count / 2);

    public static async Task<Result> RunAsync(Uri url, TimeSpan duration, int connections, IReadOnlyList<string> headers, string? script = null)
    {
        var arguments = new List<string> { "-t2", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "--latency", "--timeout", "10s" };
        foreach (var header in headers)
        {
            arguments.AddRange(["-H", header]);
        }

        string? scriptFile = null;
        if (script is not null)
        {
            scriptFile = Path.GetTempFileName();
            await File.WriteAllTextAsync(scriptFile, script);
            arguments.AddRange(["-s", scriptFile]);
        }

        arguments.Add(url.ToString());
        try
        {
            var output = await RunAsync("wrk", arguments);
            return new Result(
                double.Parse(RequestsPerSecond().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
                Percentile(output, "50%"),
                Percentile(output, "99%"),
                NonSuccess().Match(output) is { Success: true } errors ? long.Parse(errors.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
        }
        finally
        {
            if (scriptFile is not null)
            {
                File.Delete(scriptFile);
            }
        }
    }

    public static async Task<string> RunAsync(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} exited with {process.ExitCode}: {await error}");
        }

        return await output + await error;
    }

    private static double Percentile(string output, string percentile)
    {
        var match = Regex.Match(output, $@"^\s+{Regex.Escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex NonSuccess();
}
