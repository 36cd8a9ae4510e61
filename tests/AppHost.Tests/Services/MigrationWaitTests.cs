using System.Diagnostics;
using System.Reflection;

namespace Platform.AppHost.Tests.Services;

/// <summary>
/// Where nothing orders a service after its migration step (Kubernetes: a Job beside the pods), the service's image
/// run with <c>wait-for-migrations</c> holds its start until the step has run.
/// </summary>
[Collection(SharedAppCollection.Name)]
public sealed class MigrationWaitTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static readonly string Configuration =
        typeof(MigrationWaitTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;

    [Fact]
    public async Task Waiting_for_migrations_ends_only_once_the_migration_step_has_run()
    {
        var database = $"orders_wait_{Guid.NewGuid():N}"[..32];
        await fixture.App.ServerCommandAsync($"CREATE DATABASE {database}");
        var connectionString = $"{await fixture.App.ConnectionStringAsync("postgres", Cancellation)};Database={database}";
        using var waiting = Start("wait-for-migrations", connectionString);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(5), Cancellation);
            Assert.False(waiting.HasExited, "it stopped waiting before any migration ran");

            using (var step = Start("migrate", connectionString))
            {
                await step.WaitForExitAsync(Cancellation);
                Assert.Equal(0, step.ExitCode);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            await waiting.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, waiting.ExitCode);
        }
        finally
        {
            if (!waiting.HasExited)
            {
                waiting.Kill(entireProcessTree: true);
            }

            await fixture.App.ServerCommandAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
    }

    /// <summary>The orders service's build output with one argument, against <paramref name="connectionString"/>.</summary>
    private static Process Start(string argument, string connectionString)
    {
        var project = Path.GetFullPath(Path.Combine(Projects.Platform_AppHost.ProjectPath, "..", "services", "Orders"));
        var start = new ProcessStartInfo("dotnet", [Path.Combine(project, "bin", Configuration, "net10.0", "Platform.Orders.dll"), argument])
        {
            WorkingDirectory = project,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ConnectionStrings__ordersdb"] = connectionString;
        return Process.Start(start)!;
    }
}
