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
}
