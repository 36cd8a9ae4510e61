using System.Text.RegularExpressions;

namespace Platform.AppHost.Tests.Operations;

/// <summary>The alert rules in <c>ops/prometheus</c> (copied beside the tests), and promtool, which checks them.</summary>
internal static partial class AlertRules
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "ops", "prometheus");

    public static string RulesFile => Path.Combine(Directory, "alerts.yml");

    public static string TestsFile => Path.Combine(Directory, "alerts.test.yml");

    public static string Runbook => Path.Combine(AppContext.BaseDirectory, "docs", "operations.md");

    public static IReadOnlyList<string> AlertNames() => [.. AlertName().Matches(File.ReadAllText(RulesFile)).Select(m => m.Groups[1].Value)];

    /// <summary>The names of the metrics the rules' expressions read (not the label names in them, nor the annotations' words).</summary>
    public static IReadOnlySet<string> MetricNames(string prefix)
    {
        var expressions = string.Join('\n', File.ReadAllLines(RulesFile)
            .Where(line => !line.TrimStart().StartsWith("summary:", StringComparison.Ordinal) && !line.TrimStart().StartsWith('#')));
        return MetricName().Matches(Grouping().Replace(expressions, "")).Select(m => m.Value)
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToHashSet();
    }

    /// <summary>The rules with every <c>for:</c> cut to nothing, for a test that cannot wait out the real durations.</summary>
    public static string WithoutPendingTime() => For().Replace(File.ReadAllText(RulesFile), "${indent}for: 0s");

    public static Task<(int ExitCode, string Output)> PromtoolAsync(params string[] args) => Commands.RunAsync("promtool", args, Directory);

    [GeneratedRegex(@"^\s+- alert: (\w+)\s*$", RegexOptions.Multiline)]
    private static partial Regex AlertName();

    [GeneratedRegex(@"\b[a-z_]+_[a-z_]+\b(?=\{|\[|\s|\))")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"^(?<indent>\s+)for: \S+\s*$", RegexOptions.Multiline)]
    private static partial Regex For();
}
