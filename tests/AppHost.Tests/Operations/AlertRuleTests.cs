using System.Text.RegularExpressions;

namespace Platform.AppHost.Tests.Operations;

/// <summary>The alert rules are code: valid, unit-tested with promtool both ways, and each explained in the runbook.</summary>
public sealed class AlertRuleTests
{
    [Fact]
    public async Task The_rules_are_valid()
    {
        var (exitCode, output) = await AlertRules.PromtoolAsync("check", "rules", AlertRules.RulesFile);
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task The_rules_pass_their_unit_tests()
    {
        var (exitCode, output) = await AlertRules.PromtoolAsync("test", "rules", AlertRules.TestsFile);
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public void Every_alert_is_tested_firing_and_silent_and_has_a_runbook_entry()
    {
        var tests = File.ReadAllText(AlertRules.TestsFile);
        var runbook = File.ReadAllText(AlertRules.Runbook);
        Assert.NotEmpty(AlertRules.AlertNames());
        foreach (var alert in AlertRules.AlertNames())
        {
            var expectations = Regex.Matches(tests, $@"alertname: {alert}\s*\n\s*exp_alerts:(?<none> \[\])?").ToList();
            Assert.True(expectations.Any(e => e.Groups["none"].Success), $"{alert}: no test where it stays silent");
            Assert.True(expectations.Any(e => !e.Groups["none"].Success), $"{alert}: no test where it fires");
            Assert.Matches($@"(?m)^### {alert}\s*$", runbook);
        }
    }
}
