using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Instances that start together on an empty key ring would each create a key of their own and, until they read the ring
/// again, refuse each other's cookies and circuits. So the first key is made once: under a Redis lock, by whichever
/// instance takes it; the others wait (at most 30 s) until it is there. Only then does this instance serve.
/// </summary>
internal sealed partial class SharedKeyRingAtStart(IConnectionMultiplexer redis, IKeyManager keys, IOptions<DataProtectionOptions> options,
    TimeProvider time, ILogger<SharedKeyRingAtStart> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var database = redis.GetDatabase();
        var lockKey = $"{options.Value.ApplicationDiscriminator}:data-protection-keys:lock";
        var token = Guid.NewGuid().ToString("N");
        var deadline = time.GetUtcNow().AddSeconds(30);
        while (!HasUsableKey() && time.GetUtcNow() < deadline)
        {
            if (await database.LockTakeAsync(lockKey, token, TimeSpan.FromSeconds(30)))
            {
                try
                {
                    if (!HasUsableKey())
                    {
                        var now = time.GetUtcNow();
                        keys.CreateNewKey(now, now.AddDays(90));
                        LogCreated(logger);
                    }
                }
                finally
                {
                    await database.LockReleaseAsync(lockKey, token);
                }

                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private bool HasUsableKey()
    {
        var now = time.GetUtcNow();
        return keys.GetAllKeys().Any(k => !k.IsRevoked && k.ActivationDate <= now && k.ExpirationDate > now);
    }

    [LoggerMessage(LogLevel.Information, "Created the shared Data Protection key ring's first key")]
    private static partial void LogCreated(ILogger logger);
}
