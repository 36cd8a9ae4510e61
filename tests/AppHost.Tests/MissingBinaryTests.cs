namespace Platform.AppHost.Tests;

public sealed class MissingBinaryTests
{
    [Fact]
    public async Task A_missing_postgres_binary_fails_at_once_with_the_command_that_installs_it()
    {
        var stateDirectory = AppUnderTest.NewStateDirectory();
        try
        {
            var failure = await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Platform_AppHost>(
                    ["--Infrastructure:Mode=local", $"--Infrastructure:StateDirectory={stateDirectory}", "--Infrastructure:PostgresBinDirectory=/nonexistent/bin"],
                    TestContext.Current.CancellationToken);
                await using var app = await builder.BuildAsync(TestContext.Current.CancellationToken);
            });

            var messages = string.Join(" | ", Chain(failure).Select(e => e.Message));
            Assert.Contains("needs 'postgres'", messages, StringComparison.Ordinal);
            Assert.Contains("apt-get install -y --no-install-recommends postgresql", messages, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }

    private static IEnumerable<Exception> Chain(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            yield return exception;
        }
    }
}
