namespace Platform.BuildingBlocks.Tests.Data;

/// <summary>The argument the AppHost starts a service's migration step with.</summary>
public sealed class MigrationStepTests
{
    [Theory]
    [InlineData(new[] { "migrate" }, true)]
    [InlineData(new[] { "--urls", "http://localhost:5000", "migrate" }, true)]
    [InlineData(new[] { "Migrate" }, false)]
    [InlineData(new[] { "--migrate" }, false)]
    [InlineData(new string[0], false)]
    public void Only_the_exact_argument_turns_a_run_into_the_migration_step(string[] args, bool requested) =>
        Assert.Equal(requested, Microsoft.Extensions.Hosting.MigrationStep.IsRequested(args));
}
