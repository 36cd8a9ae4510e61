using System.Diagnostics;
using System.Reflection;
using Npgsql;

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

    [Theory]
    [InlineData("Orders", "Orders", "ordersdb")]
//#if (workers)
    [InlineData("Workers/Inventory", "Catalog", "catalogdb")] // a worker on the catalog's database waits for the catalog's step
//#endif
    public async Task Waiting_for_migrations_ends_only_once_the_migration_step_has_run(string waiter, string owner, string connectionName)
    {
        var database = $"wait_{Guid.NewGuid():N}"[..32];
        await fixture.App.ServerCommandAsync($"CREATE DATABASE {database}");
        var connectionString = $"{await fixture.App.ConnectionStringAsync("postgres", Cancellation)};Database={database}";
        using var waiting = Start(waiter, "wait-for-migrations", (connectionName, connectionString));
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(5), Cancellation);
            Assert.False(waiting.HasExited, "it stopped waiting before any migration ran");

            using (var step = Start(owner, "migrate", (connectionName, connectionString)))
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

    [Fact]
    public async Task The_migration_step_as_the_databases_owner_leaves_it_open_to_the_services_logins_only()
    {
        var suffix = $"{Guid.NewGuid():N}"[..8];
        var (database, owner, reader, stranger) = ($"orders_acl_{suffix}", $"owner_{suffix}", $"reader_{suffix}", $"stranger_{suffix}");
        var password = $"{Guid.NewGuid():N}";
        var server = await fixture.App.ConnectionStringAsync("postgres", Cancellation);
        string As(string role) => new NpgsqlConnectionStringBuilder(server) { Username = role, Password = password, Database = database, Pooling = false }.ConnectionString;
        try
        {
            foreach (var role in new[] { owner, reader, stranger })
            {
                await fixture.App.ServerCommandAsync($"CREATE ROLE {role} LOGIN PASSWORD '{password}'");
            }

            await fixture.App.ServerCommandAsync($"CREATE DATABASE {database} OWNER {owner}"); // as CloudNativePG's Database does
            Assert.True(await CanConnectAsync(As(stranger)), "a new database is open to every role");

            using (var step = Start("Orders", "migrate", ("ordersdb", As(owner)), ("Database__Logins", $"{owner};{reader}")))
            {
                await step.WaitForExitAsync(Cancellation);
                Assert.Equal(0, step.ExitCode);
            }

            Assert.True(await CanConnectAsync(As(owner)));
            Assert.True(await CanConnectAsync(As(reader)));
            Assert.False(await CanConnectAsync(As(stranger)), "a role the step was not given still connects");
        }
        finally
        {
            await fixture.App.ServerCommandAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
            await fixture.App.ServerCommandAsync($"DROP ROLE IF EXISTS {owner}, {reader}, {stranger}");
        }
    }

    private static async Task<bool> CanConnectAsync(string connectionString)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(Cancellation);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            return false;
        }
    }

    /// <summary>
    /// A service's build output (<paramref name="folder"/> under services/) with one argument and its database's connection
    /// string (<c>ConnectionStrings__{name}</c>), and <paramref name="environment"/>.
    /// </summary>
    private static Process Start(string folder, string argument, (string Name, string Value) database, params (string Name, string Value)[] environment)
    {
        var project = Path.GetFullPath(Path.Combine(Projects.Platform_AppHost.ProjectPath, "..", "services", folder));
        var start = new ProcessStartInfo("dotnet", [Path.Combine(project, "bin", Configuration, "net10.0", $"Platform.{Path.GetFileName(folder)}.dll"), argument])
        {
            WorkingDirectory = project,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment[$"ConnectionStrings__{database.Name}"] = database.Value;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return Process.Start(start)!;
    }
}
