using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Platform.AppHost.Tests.Identity;

namespace Platform.AppHost.Tests;

/// <summary>One running platform on a cold state folder, shared by a test collection.</summary>
public abstract class AppFixture(string mode) : IAsyncLifetime
{
    private DistributedApplication? _app;

    /// <summary>The infrastructure mode the app runs in (<c>local</c> or <c>containers</c>).</summary>
    public string Mode { get; } = mode;

    public string StateDirectory { get; } = AppUnderTest.NewStateDirectory();

    /// <summary>The running app; skips the calling test when this mode does not run here.</summary>
    public DistributedApplication App
    {
        get
        {
            Assert.SkipWhen(SkipReason is not null, SkipReason ?? "");
            return _app ?? throw new InvalidOperationException("The app has not started.");
        }
    }

    private readonly ConcurrentDictionary<(string User, string Scope), Task<string>> _tokens = new();

    /// <summary>
    /// An access token for a demo user (authorization code + PKCE, as the web app gets it), made once per
    /// user and scope: logging in for every test would run into the login rate limit.
    /// </summary>
    public Task<string> AccessTokenAsync(string user, string scope) => _tokens.GetOrAdd((user, scope), async key =>
    {
        var identity = new IdentityClient(App);
        var password = await identity.SecretAsync("identity-demo-password", CancellationToken.None);
        return (await identity.LogInAsync(key.User, password, key.Scope, CancellationToken.None)).AccessToken;
    });

    /// <summary>The running app in local mode; skips the calling test in container mode.</summary>
    public DistributedApplication LocalApp
    {
        get
        {
            Assert.SkipWhen(Mode != "local", "this test runs in local mode only");
            return App;
        }
    }

    /// <summary>The resources that must report healthy in this mode.</summary>
    public abstract IReadOnlyList<string> ExpectedHealthyResources { get; }

    /// <summary>
    /// AppHost settings of this fixture. Payments are always approved unless a fixture says otherwise; a used refresh token
    /// counts as reused after 1 s (not 30) and old tokens are pruned every 2 s (not hourly), so that tests see both soon.
    /// </summary>
    protected virtual IEnumerable<string> AppArguments =>
        ["--Payments:FailureRate=0", "--Identity:RefreshTokenReuseLeeway=00:00:01", "--Identity:TokenPruningInterval=00:00:02"];

    /// <summary>Why this mode cannot run here, or null when it can.</summary>
    protected virtual string? SkipReason => null;

    public async ValueTask InitializeAsync()
    {
        if (SkipReason is null)
        {
            _app = await AppUnderTest.StartAsync(Mode, StateDirectory, TestContext.Current.CancellationToken, [.. AppArguments]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            var volumes = _app.Services.GetRequiredService<DistributedApplicationModel>().Resources
                .SelectMany(r => r.Annotations.OfType<ContainerMountAnnotation>())
                .Where(m => m.Type == ContainerMountType.Volume && m.Source is not null)
                .Select(m => m.Source!)
                .ToArray();
            await LocalProcesses.DisposeAndWaitAsync(_app, TimeSpan.FromSeconds(30));
            if (volumes.Length > 0)
            {
                // The volumes belong to this fixture's state folder, which goes too.
                using var remove = Process.Start(AppUnderTest.ContainerRuntime, ["volume", "rm", "-f", .. volumes]);
                await remove.WaitForExitAsync();
            }
        }

        Directory.Delete(StateDirectory, recursive: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// The running app most tests share: local processes, or containers with <c>PLATFORM_TEST_MODE=containers</c> (which needs
/// a container runtime; CI machines have none).
/// </summary>
public sealed class SharedAppFixture() : AppFixture(TestMode)
{
    /// <summary>The infrastructure mode of this test run: <c>PLATFORM_TEST_MODE</c>, <c>local</c> unless it says <c>containers</c>.</summary>
    public static string TestMode => Environment.GetEnvironmentVariable("PLATFORM_TEST_MODE") is "containers" ? "containers" : "local";

    public override IReadOnlyList<string> ExpectedHealthyResources =>
        [.. Resources.Concat(Mode == "local" ? ["eventbus-epmd"] : []).Order()]; // local RabbitMQ's own Erlang port mapper

    private static readonly string[] Resources =
    [
        "catalog", "catalog-2", "catalogdb", "eventbus", "gateway", "identity", "identitydb",
        "catalogdb-catalog", "identitydb-identity", "ordersdb-orders", "ordersdb2-orders", // the services' database logins
        "eventbus-catalog", "eventbus-orders",                            // and broker users
//#if (workers)
        "inventory", "payments", "paymentsdb", "catalogdb-inventory", "paymentsdb-payments", "eventbus-inventory", "eventbus-payments",
//#endif
        "orders", "orders-2", "ordersdb", "ordersdb2", "postgres", "postgres-replica1", "postgres-replica2", "redis",
//#if (web)
        "web", "eventbus-web",
//#endif
    ];
}

[CollectionDefinition(Name)]
public sealed class SharedAppCollection : ICollectionFixture<SharedAppFixture>
{
    public const string Name = "shared app";
}

//#if (workers)
/// <summary>
/// A platform whose payment provider declines every charge (<c>Payments:FailureRate=1</c>), answering after 3 s — long
/// enough to kill a payments worker while it holds a message — and whose orders expire after 30 s, not 15 min.
/// </summary>
public sealed class DeclinedPaymentsFixture() : AppFixture(SharedAppFixture.TestMode)
{
    public override IReadOnlyList<string> ExpectedHealthyResources => [];

    protected override IEnumerable<string> AppArguments =>
        ["--Payments:FailureRate=1", "--Payments:Latency=00:00:03", "--Orders:SettleDeadline=00:00:30", "--Orders:DeadlineCheckInterval=00:00:01"];
}

[CollectionDefinition(Name)]
public sealed class DeclinedPaymentsCollection : ICollectionFixture<DeclinedPaymentsFixture>
{
    public const string Name = "declined payments";
}
//#endif
