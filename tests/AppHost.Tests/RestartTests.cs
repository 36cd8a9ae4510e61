using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.TestHost;
using System.Text;
using Npgsql;
using RabbitMQ.Client;
using System.Net.Http.Json;
using Platform.AppHost.Tests.Identity;
using Platform.AppHost.Tests.Services;
using Platform.Data.Sharding;
using StackExchange.Redis;

namespace Platform.AppHost.Tests;

/// <summary>
/// Runs the platform with one orders shard, writes to every store and places an order, stops it, notes what is left,
/// and starts it again on the same state folder with two shards (as a team adds a shard).
/// </summary>
public sealed class RestartFixture : IAsyncLifetime
{
    private const string Queue = "restart-probe";

    public string StateDirectory { get; } = AppUnderTest.NewStateDirectory();

    public string Marker { get; } = Guid.NewGuid().ToString();

    public IReadOnlySet<int> FirstRunProcesses { get; private set; } = new HashSet<int>();

    /// <summary>"pid: command line" of each process still running a while after the stop.</summary>
    public IReadOnlyList<string> SurvivingProcesses { get; private set; } = [];

    public IReadOnlyList<int> PortsStillListening { get; private set; } = [];

    /// <summary>What pg_controldata says of the primary after the stop ("shut down" when it stopped cleanly).</summary>
    public string PrimaryStateAfterStop { get; private set; } = "";

    public int FirstPrimaryPort { get; private set; }

    public DistributedApplication SecondRun { get; private set; } = null!;

    /// <summary>Tokens the identity service issued in the first run.</summary>
    public TokenResponse UserToken { get; private set; } = null!;

    public TokenResponse MachineToken { get; private set; } = null!;

    /// <summary>An order the customer (<see cref="UserToken"/>) placed in the first run, when the orders had one shard.</summary>
    public Guid FirstRunOrder { get; private set; }

    /// <summary>A file planted in each replica's data folder; still there if the replica was reused, not cloned again.</summary>
    public static string Sentinel(string stateDirectory, string replica) =>
        Path.Combine(stateDirectory, "postgres", replica, "platform-test-sentinel");

    // Test runs give services new ports at every start; a fixed public issuer (as behind a gateway)
    // keeps the identity service's tokens meaningful across the restart, as its stable URL does in a real run.
    private static readonly string[] StablePorts = ["--Identity:Issuer=http://identity.platform.test/"];

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var firstRun = await AppUnderTest.StartLocalAsync(StateDirectory, ct, [.. StablePorts, "--Orders:Shards=1"]);
        IReadOnlyList<int> ports;
        // A client still connected when the platform stops (as a service's pooled connection would be).
        var lingering = new NpgsqlConnection($"{await firstRun.ConnectionStringAsync("catalogdb", ct)};Pooling=false");
        try
        {
            await WriteAsync(firstRun, ct);
            var identity = new IdentityClient(firstRun);
            UserToken = await identity.LogInAsync(IdentityClient.Customer, await identity.SecretAsync("identity-demo-password", ct), "openid users orders", ct);
            using (var orders = new ServiceClient(firstRun, "orders", UserToken.AccessToken))
            {
                using var placed = await orders.SendJsonAsync(HttpMethod.Post, "/orders", new { items = new[] { new { productId = 1, quantity = 1 } } });
                Assert.Equal(HttpStatusCode.Accepted, placed.StatusCode);
                FirstRunOrder = (await placed.Content.ReadFromJsonAsync<OrderAccepted>(ct))!.OrderId;
            }

            MachineToken = await identity.WorkersTokenAsync("catalog", ct);
            FirstPrimaryPort = firstRun.GetEndpoint("postgres", "tcp").Port;
            foreach (var replica in new[] { "postgres-replica1", "postgres-replica2" })
            {
                await File.WriteAllTextAsync(Sentinel(StateDirectory, replica), "", ct);
            }

            await lingering.OpenAsync(ct);
        }
        finally
        {
            FirstRunProcesses = await LocalProcesses.OfAsync(firstRun);
            ports = LocalProcesses.Ports(firstRun);
            await firstRun.StopAsync(ct);

            // Stopping may take a moment to reach every process; give it a bounded while.
            SurvivingProcesses = [.. (await LocalProcesses.DisposeAndWaitAsync(firstRun, FirstRunProcesses, TimeSpan.FromSeconds(30)))
                .Union(LocalProcesses.WorkingIn(StateDirectory).Select(LocalProcesses.Describe))];
            await lingering.DisposeAsync();
        }

        PortsStillListening = [.. ports.Where(LocalProcesses.IsListening)];
        PrimaryStateAfterStop = await ClusterStateAsync(Path.Combine(StateDirectory, "postgres", "postgres"), ct);
        SecondRun = await AppUnderTest.StartLocalAsync(StateDirectory, ct, StablePorts);
    }

    public async ValueTask DisposeAsync()
    {
        if (SecondRun is not null)
        {
            await LocalProcesses.DisposeAndWaitAsync(SecondRun, TimeSpan.FromSeconds(30));
        }

        Directory.Delete(StateDirectory, recursive: true);
    }

    private async Task WriteAsync(DistributedApplication app, CancellationToken ct)
    {
        await using (var connection = new NpgsqlConnection(await app.ConnectionStringAsync("catalogdb", ct)))
        {
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand($"CREATE TABLE restart_probe (marker text); INSERT INTO restart_probe VALUES ('{Marker}')", connection);
            await command.ExecuteNonQueryAsync(ct);
        }

        // Both replicas have the row before the stop, so reading it after the restart tests persistence, not timing.
        foreach (var replica in new[] { "postgres-replica1", "postgres-replica2" })
        {
            await using var connection = new NpgsqlConnection($"{await app.ConnectionStringAsync(replica, ct)};Database=catalogdb");
            await connection.OpenAsync(ct);
            await using var read = new NpgsqlCommand("SELECT count(*) FROM pg_class WHERE relname = 'restart_probe'", connection);
            for (var attempt = 0; attempt < 500 && (long)(await read.ExecuteScalarAsync(ct))! == 0; attempt++)
            {
                await Task.Delay(20, ct);
            }
        }

        await using (var redis = await ConnectionMultiplexer.ConnectAsync(await app.ConnectionStringAsync("redis", ct)))
        {
            await redis.GetDatabase().StringSetAsync("restart-probe", Marker);
        }

        var factory = new ConnectionFactory { Uri = new Uri(await app.ConnectionStringAsync("eventbus", ct)) };
        await using var rabbit = await factory.CreateConnectionAsync(ct);
        await using var channel = await rabbit.CreateChannelAsync(new CreateChannelOptions(true, true), ct);
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: ct);
        await channel.BasicPublishAsync("", Queue, mandatory: true, new BasicProperties { Persistent = true }, Encoding.UTF8.GetBytes(Marker), ct);
    }

    private static async Task<string> ClusterStateAsync(string dataDirectory, CancellationToken ct)
    {
        var controlData = Directory.GetFiles("/usr/lib/postgresql", "pg_controldata", SearchOption.AllDirectories).Order().Last();
        using var process = Process.Start(new ProcessStartInfo(controlData, ["-D", dataDirectory])
        {
            RedirectStandardOutput = true,
            Environment = { ["LC_ALL"] = "C" },
        })!;
        var output = await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return output.Split('\n').First(line => line.StartsWith("Database cluster state:", StringComparison.Ordinal))
            .Split(':', 2)[1].Trim();
    }

    public async Task<string?> ReadQueueAsync(CancellationToken ct)
    {
        var factory = new ConnectionFactory { Uri = new Uri(await SecondRun.ConnectionStringAsync("eventbus", ct)) };
        await using var rabbit = await factory.CreateConnectionAsync(ct);
        await using var channel = await rabbit.CreateChannelAsync(cancellationToken: ct);
        var message = await channel.BasicGetAsync(Queue, autoAck: false, ct);
        return message is null ? null : Encoding.UTF8.GetString(message.Body.Span);
    }
}

public sealed class RestartTests(RestartFixture fixture) : IClassFixture<RestartFixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public void Stopping_the_app_leaves_no_infrastructure_process_behind()
    {
        // postgres x3 with their workers, redis, rabbitmq (+ beam), epmd
        Assert.True(fixture.FirstRunProcesses.Count >= 6, $"only {fixture.FirstRunProcesses.Count} processes were found");
        Assert.True(fixture.SurvivingProcesses.Count == 0, $"still running: {string.Join("; ", fixture.SurvivingProcesses)}");
        Assert.Empty(fixture.PortsStillListening);
    }

    [Fact]
    public void Postgres_stops_cleanly_even_with_a_client_still_connected()
    {
        Assert.Equal("shut down", fixture.PrimaryStateAfterStop);
    }

    [Fact]
    public void Replicas_are_reused_after_a_restart_even_though_the_primary_moved_to_another_port()
    {
        Assert.NotEqual(fixture.FirstPrimaryPort, fixture.SecondRun.GetEndpoint("postgres", "tcp").Port);
        Assert.True(File.Exists(RestartFixture.Sentinel(fixture.StateDirectory, "postgres-replica1")));
        Assert.True(File.Exists(RestartFixture.Sentinel(fixture.StateDirectory, "postgres-replica2")));
    }

    [Theory]
    [InlineData("catalogdb")]
    [InlineData("postgres-replica1")]
    [InlineData("postgres-replica2")]
    public async Task Postgres_rows_survive_a_restart_on_the_primary_and_the_replicas(string resource)
    {
        var connectionString = await fixture.SecondRun.ConnectionStringAsync(resource, Cancellation);
        await using var connection = new NpgsqlConnection(resource == "catalogdb" ? connectionString : $"{connectionString};Database=catalogdb");
        await connection.OpenAsync(Cancellation);
        await using var read = new NpgsqlCommand("SELECT marker FROM restart_probe", connection);

        Assert.Equal(fixture.Marker, await read.ExecuteScalarAsync(Cancellation));
    }

    [Fact]
    public async Task Tokens_issued_before_a_restart_stay_valid_after_it()
    {
        var identity = new IdentityClient(fixture.SecondRun);

        // The restarted identity service accepts its earlier user token; an API (fresh key download) the machine token.
        using var me = await identity.GetAsync("/users/me", fixture.UserToken.AccessToken, Cancellation);
        await using var api = await ProtectedApi.StartAsync(identity.BaseAddress, Cancellation);
        using var client = api.GetTestClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items") { Headers = { Authorization = new("Bearer", fixture.MachineToken.AccessToken) } };
        using var items = await client.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(HttpStatusCode.OK, items.StatusCode);
    }

    // Here rather than with the other identity tests: it uses up the address's attempts for a minute,
    // and this fixture's second run is an identity service that no other login test needs.
    [Fact]
    public async Task Login_and_registration_attempts_are_rate_limited_per_client_address()
    {
        var identity = new IdentityClient(fixture.SecondRun);
        var statuses = new List<HttpStatusCode>();

        for (var attempt = 0; attempt < 40 && !statuses.Contains(HttpStatusCode.TooManyRequests); attempt++)
        {
            using var response = await identity.RegisterAsync($"limit-{attempt}@platform.test", "weak", Cancellation);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.True(statuses.Count > 20, $"limited after {statuses.Count} attempts");
        Assert.All(statuses[..^1], status => Assert.Equal(HttpStatusCode.BadRequest, status));
    }

    [Fact]
    public async Task An_orders_shard_added_at_a_restart_starts_empty_and_a_bucket_moved_to_it_keeps_its_orders()
    {
        var app = fixture.SecondRun;
        var bucket = Buckets.Of(fixture.FirstRunOrder);
        using var orders = new ServiceClient(app, "orders", fixture.UserToken.AccessToken);

        // Buckets are given out once, on the first start: the shard added later owns none, and the first run's order is
        // where it was, readable.
        var owners = await Databases.BucketOwnersAsync(app);
        Assert.Equal(["ordersdb", "ordersdb2"], Databases.OrderShards(app));
        Assert.Equal(Buckets.Count, owners.Count);
        Assert.All(owners.Values, shard => Assert.Equal("ordersdb", shard));
        Assert.Equal(fixture.FirstRunOrder, (await orders.GetJsonAsync<Services.Order>($"/orders/{fixture.FirstRunOrder}")).Id);

        // Rebalancing onto it: the customer's bucket, moved with the dashboard command, takes the order along.
        var moved = await Databases.MoveBucketAsync(app, bucket, "ordersdb2");

        Assert.True(moved.Success, moved.Message);
        Assert.Equal("ordersdb2", (await Databases.BucketOwnersAsync(app))[bucket]);
        Assert.Equal(1L, await Databases.ScalarAsync<long>(app, "ordersdb2", "SELECT count(*) FROM orders WHERE id = $1", fixture.FirstRunOrder));
        Assert.Equal(0L, await Databases.ScalarAsync<long>(app, "ordersdb", "SELECT count(*) FROM orders WHERE bucket = $1", (short)bucket));
        Assert.Equal(fixture.FirstRunOrder, (await orders.GetJsonAsync<Services.Order>($"/orders/{fixture.FirstRunOrder}")).Id);
    }

    [Fact]
    public async Task Redis_values_survive_a_restart()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await fixture.SecondRun.ConnectionStringAsync("redis", Cancellation));

        Assert.Equal(fixture.Marker, (string?)await redis.GetDatabase().StringGetAsync("restart-probe"));
    }

    [Fact]
    public async Task Durable_RabbitMQ_messages_survive_a_restart()
    {
        Assert.Equal(fixture.Marker, await fixture.ReadQueueAsync(Cancellation));
    }
}
