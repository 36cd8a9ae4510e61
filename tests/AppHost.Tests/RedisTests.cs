using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Platform.AppHost.Tests;

[Collection(SharedAppCollection.Name)]
public sealed class RedisTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Redis_rejects_a_wrong_password()
    {
        var options = ConfigurationOptions.Parse(await fixture.App.ConnectionStringAsync("redis", Cancellation));
        options.Password = "not-the-password";
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 5000;

        var refused = await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectionMultiplexer.ConnectAsync(options));

        Assert.Equal(ConnectionFailureType.AuthenticationFailure, refused.FailureType);
    }

    [Fact]
    public async Task Redis_round_trips_a_value_with_the_generated_password()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await fixture.App.ConnectionStringAsync("redis", Cancellation));
        var key = $"probe:{Guid.NewGuid():N}";

        await redis.GetDatabase().StringSetAsync(key, "hello", TimeSpan.FromMinutes(1));

        Assert.Equal("hello", (string?)await redis.GetDatabase().StringGetAsync(key));
    }

    [Theory]
    [InlineData("identity")]
//#if (web)
    [InlineData("web")]
//#endif
    public async Task The_instances_share_one_data_protection_key_in_redis_encrypted_with_the_certificate(string application)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await fixture.App.ConnectionStringAsync("redis", Cancellation));

        var keys = (await redis.GetDatabase().ListRangeAsync($"{application}:data-protection-keys")).Select(k => k.ToString()).ToList();

        // Instances that started together on an empty ring made one key, not one each (which would refuse each other's cookies).
        Assert.Single(keys);
        Assert.All(keys, key =>
        {
            Assert.Contains("<encryptedSecret", key, StringComparison.Ordinal);
            Assert.Contains("EncryptedXmlDecryptor", key, StringComparison.Ordinal); // the certificate's, not an unprotected key
            Assert.DoesNotContain("<value>", key, StringComparison.Ordinal);        // where the key itself would be, in clear
        });
    }

    [Fact]
    public async Task Instances_starting_together_on_an_empty_key_ring_make_one_key_between_them()
    {
        var connectionString = await fixture.App.ConnectionStringAsync("redis", Cancellation);
        var application = $"key-ring-start-{Guid.NewGuid():N}";
        var hosts = new List<IHost>();
        var connections = new List<ConnectionMultiplexer>();
        for (var i = 0; i < 4; i++)
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Development });
            connections.Add(await ConnectionMultiplexer.ConnectAsync(connectionString));
            builder.Services.AddSingleton<IConnectionMultiplexer>(connections[^1]);
            builder.AddSharedDataProtection(application);
            hosts.Add(builder.Build());
        }

        try
        {
            await Task.WhenAll(hosts.Select(host => Task.Run(() => host.StartAsync(Cancellation), Cancellation)));

            await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString);
            Assert.Equal(1, await redis.GetDatabase().ListLengthAsync($"{application}:data-protection-keys"));
            await redis.GetDatabase().KeyDeleteAsync($"{application}:data-protection-keys");
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.StopAsync(Cancellation);
                host.Dispose();
            }

            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    // Each service's Redis user and a key of its own.
    private static readonly (string User, string OwnKey)[] Users =
    [
        ("identity", "identity:probe"), ("catalog", "catalog:probe"), ("gateway", "rl:sw:{gateway:probe}"),
//#if (web)
        ("web", "web:probe"),
//#endif
    ];

    [Fact]
    public async Task Every_service_process_connects_to_redis_as_its_own_user_without_the_operators_password()
    {
        var operatorPassword = ConfigurationOptions.Parse(await fixture.App.ConnectionStringAsync("redis", Cancellation)).Password!;
        foreach (var (user, _) in Users)
        {
            await LocalProcesses.AssertConnectsAsItsOwnUserAsync(fixture.LocalApp, user, "redis",
                connectionString => connectionString.Contains($",user={user},", StringComparison.Ordinal), operatorPassword);
        }
    }

    [Fact]
    public async Task A_services_redis_user_reaches_its_own_keys_and_channels_only_and_runs_no_dangerous_command()
    {
        foreach (var (user, ownKey) in Users)
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(await fixture.App.ConnectionStringAsync($"redis-{user}", Cancellation));
            var database = redis.GetDatabase();

            Assert.True(await database.StringSetAsync(ownKey, "mine", TimeSpan.FromMinutes(1)));
            Assert.Equal("mine", (string?)await database.StringGetAsync(ownKey));
            await database.KeyDeleteAsync(ownKey);
            Assert.Equal(0, await redis.GetSubscriber().PublishAsync(RedisChannel.Literal($"{user}:probe"), "mine"));

            foreach (var (other, otherKey) in Users.Where(u => u.User != user))
            {
                await AssertRefusedAsync(() => database.StringGetAsync(otherKey));
                await AssertRefusedAsync(() => database.StringSetAsync(otherKey, "forged"));
                await AssertRefusedAsync(() => redis.GetSubscriber().PublishAsync(RedisChannel.Literal($"{other}:cache-invalidations"), "forged"));
            }
        }

        // Asked of the server without running them (the commands would empty or stop the shared Redis if allowed).
        await using var admin = await ConnectionMultiplexer.ConnectAsync(await fixture.App.ConnectionStringAsync("redis", Cancellation));
        foreach (var (user, _) in Users)
        {
            foreach (var command in new[] { "FLUSHALL", "FLUSHDB", "CONFIG SET maxmemory 1", "CONFIG GET requirepass", "KEYS *", "ACL LIST", "SHUTDOWN", "DEBUG SLEEP 0" })
            {
                var answer = (string?)await admin.GetDatabase().ExecuteAsync("ACL", ["DRYRUN", user, .. command.Split(' ')]);
                Assert.Contains("no permissions", answer, StringComparison.Ordinal);
            }

            Assert.Equal("OK", (string?)await admin.GetDatabase().ExecuteAsync("ACL", "DRYRUN", user, "GET", Users.Single(u => u.User == user).OwnKey));
        }

        static async Task AssertRefusedAsync(Func<Task> command)
        {
            var refused = await Assert.ThrowsAsync<RedisServerException>(command);
            Assert.StartsWith("NOPERM", refused.Message, StringComparison.Ordinal);
        }
    }
}
