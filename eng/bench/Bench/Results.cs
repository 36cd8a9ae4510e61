using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Platform.Bench;

/// <summary>
/// The figures that matter from every benchmark of one run, each beside its baseline from the same run (a ratio is
/// comparable between machines and runs, an absolute number much less): printed as one table by
/// <c>eng/bench/all.sh</c>, written as JSON, and turned into the README's table from that JSON.
/// </summary>
internal static class Results
{
    public sealed record Entry(string Measure, double Value, string Unit, string? Baseline = null, double? BaselineValue = null,
        string? Goal = null)
    {
        public double? Ratio => BaselineValue is > 0 ? Value / BaselineValue : null;
    }

    private static readonly List<Entry> Entries = [];

    public static void Add(string measure, double value, string unit, string? baseline = null, double? baselineValue = null, string? goal = null)
    {
        lock (Entries)
        {
            Entries.Add(new Entry(measure, value, unit, baseline, baselineValue, goal));
        }
    }

    public static void Print()
    {
        Console.WriteLine();
        Console.WriteLine("Results of this run:");
        Console.WriteLine(Table(Entries));
    }

    public static void Write(string path)
    {
        var document = new
        {
            Machine = $"{Environment.ProcessorCount} cores, {Math.Round(MemoryGiB())} GiB",
            Date = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            Entries,
        };
        File.WriteAllText(path, JsonSerializer.Serialize(document, JsonOptions));
        Console.WriteLine($"Written to {path}");
    }

    /// <summary>Replaces the table between the README's bench markers with the one made from <paramref name="jsonPath"/>.</summary>
    public static void UpdateReadme(string jsonPath, string readmePath)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(jsonPath));
        var entries = document.RootElement.GetProperty("Entries").Deserialize<List<Entry>>(JsonOptions)!;
        var machine = document.RootElement.GetProperty("Machine").GetString();
        var date = document.RootElement.GetProperty("Date").GetString();
        var readme = File.ReadAllText(readmePath);
        var start = readme.IndexOf(StartMarker, StringComparison.Ordinal);
        var end = readme.IndexOf(EndMarker, StringComparison.Ordinal);
        if (start < 0 || end < start)
        {
            throw new InvalidOperationException($"{readmePath} has no {StartMarker} … {EndMarker} section.");
        }

        var table = $"{StartMarker}\n<!-- made by eng/bench/all.sh from {Path.GetFileName(jsonPath)}: do not edit by hand -->\n" +
            $"Run of {date} on {machine} (local mode):\n\n{Table(entries)}";
        File.WriteAllText(readmePath, readme[..start] + table + readme[end..]);
        Console.WriteLine($"Updated the table in {readmePath}");
    }

    private const string StartMarker = "<!-- bench:start -->";
    private const string EndMarker = "<!-- bench:end -->";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private static string Table(IEnumerable<Entry> entries)
    {
        var table = new StringBuilder("| measure | value | baseline (same run) | ratio | goal |\n|---|---|---|---|---|\n");
        foreach (var e in entries)
        {
            table.Append(CultureInfo.InvariantCulture,
                $"| {e.Measure} | {Format(e.Value)} {e.Unit} | {(e.Baseline is null ? "" : $"{e.Baseline}: {Format(e.BaselineValue!.Value)}")} | " +
                $"{(e.Ratio is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) + "×" : "")} | {e.Goal} |\n");
        }

        return table.ToString();
    }

    private static string Format(double value) =>
        value.ToString(Math.Abs(value) >= 100 ? "N0" : Math.Abs(value) >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture);

    private static double MemoryGiB()
    {
        var total = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        return long.Parse(total.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1048576.0;
    }
}
