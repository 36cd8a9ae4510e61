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
    public async Task Data_protection_keys_in_redis_are_encrypted_with_the_certificate(string application)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await fixture.App.ConnectionStringAsync("redis", Cancellation));

        var keys = (await redis.GetDatabase().ListRangeAsync($"{application}:data-protection-keys")).Select(k => k.ToString()).ToList();

        Assert.NotEmpty(keys);
        Assert.All(keys, key =>
        {
            Assert.Contains("<encryptedSecret", key, StringComparison.Ordinal);
            Assert.Contains("EncryptedXmlDecryptor", key, StringComparison.Ordinal); // the certificate's, not an unprotected key
            Assert.DoesNotContain("<value>", key, StringComparison.Ordinal);        // where the key itself would be, in clear
        });
    }
}
