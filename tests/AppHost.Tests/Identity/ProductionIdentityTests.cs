using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Npgsql;

namespace Platform.AppHost.Tests.Identity;

/// <summary>
/// Identity as a deployment runs it: <c>Production</c>, the built service started as its own process. Its migration step
/// needs no token keys; the service itself refuses to start without an issuer and starts with one.
/// </summary>
[Collection(SharedAppCollection.Name)]
public sealed class ProductionIdentityTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Outside_development_the_migrations_run_without_keys_and_the_service_starts_only_with_an_issuer_and_a_key_certificate()
    {
        var database = $"identity_production_{Guid.NewGuid():N}"[..40];
        await fixture.App.ServerCommandAsync($"CREATE DATABASE {database}");
        try
        {
            var connectionString = $"{await fixture.App.ConnectionStringAsync("postgres", Cancellation)};Database={database}";
            var environment = new Dictionary<string, string>
            {
                ["DOTNET_ENVIRONMENT"] = "Production",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ConnectionStrings__identitydb"] = connectionString,
            };

            // The migration step: schema, roles and scopes; no demo users or clients without their generated secrets.
            var (migrated, migrationOutput) = await RunToEndAsync(["migrate"], environment);
            Assert.True(migrated == 0, migrationOutput);
            await using (var connection = new NpgsqlConnection($"{connectionString};Pooling=false"))
            {
                await connection.OpenAsync(Cancellation);
                Assert.Equal(2L, await ScalarAsync(connection, "SELECT count(*) FROM \"AspNetRoles\""));
                Assert.Equal(0L, await ScalarAsync(connection, "SELECT count(*) FROM \"AspNetUsers\""));
            }

            // The service with its keys but no issuer: refuses to start, saying what is missing.
            environment["Identity__SigningKey"] = Convert.ToBase64String(RSA.Create(2048).ExportPkcs8PrivateKey());
            environment["Identity__EncryptionKey"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
            environment["ConnectionStrings__redis"] = await fixture.App.ConnectionStringAsync("redis-identity", Cancellation); // as identity's own Redis user
            environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Ports.Free()}";
            var (refused, refusal) = await RunToEndAsync([], environment);
            Assert.NotEqual(0, refused);
            Assert.Contains("Identity:Issuer", refusal, StringComparison.Ordinal);

            // With an issuer but no certificate for its Data Protection keys (in Redis): refuses too.
            environment["Identity__Issuer"] = "https://shop.example/";
            environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Ports.Free()}";
            (refused, refusal) = await RunToEndAsync([], environment);
            Assert.NotEqual(0, refused);
            Assert.Contains("DataProtection:Certificate", refusal, StringComparison.Ordinal);

            // With both it starts and answers its liveness probe.
            var port = Ports.Free();
            environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
            // The platform's certificate: this instance joins identity's key ring in the shared Redis as another replica
            // would (with a certificate of its own it would add a key the platform's identity cannot read).
            environment["DataProtection__Certificate"] = await new IdentityClient(fixture.App).SecretAsync("identity-data-protection-certificate", Cancellation);
            using var service = Start([], environment, redirect: false); // its log goes to the test's output
            try
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                var alive = await Eventually.ReachesAsync(async () =>
                {
                    try
                    {
                        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/alive"), Cancellation);
                        return response.StatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        Assert.False(service.HasExited, $"identity exited with {(service.HasExited ? service.ExitCode : 0)}");
                        return HttpStatusCode.ServiceUnavailable;
                    }
                }, status => status == HttpStatusCode.OK, status => $"/alive answered {status}", TimeSpan.FromSeconds(60));
                Assert.Equal(HttpStatusCode.OK, alive);
            }
            finally
            {
                service.Kill(entireProcessTree: true);
                await service.WaitForExitAsync(Cancellation);
            }
        }
        finally
        {
            await fixture.App.ServerCommandAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
    }

    private static Process Start(string[] args, Dictionary<string, string> environment, bool redirect = true)
    {
        var project = Path.GetFullPath(Path.Combine(Projects.Platform_AppHost.ProjectPath, "..", "services", "Identity"));
        var start = new ProcessStartInfo("dotnet", [Path.Combine(project, "bin", "Release", "net10.0", "Platform.Identity.dll"), .. args])
        {
            RedirectStandardOutput = redirect,
            RedirectStandardError = redirect,
            WorkingDirectory = project,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return Process.Start(start)!;
    }

    private static async Task<(int ExitCode, string Output)> RunToEndAsync(string[] args, Dictionary<string, string> environment)
    {
        using var process = Start(args, environment);
        var output = process.StandardOutput.ReadToEndAsync(Cancellation);
        var error = process.StandardError.ReadToEndAsync(Cancellation);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output + await error);
    }


    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync(Cancellation))!;
    }
}
