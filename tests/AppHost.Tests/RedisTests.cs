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
}
