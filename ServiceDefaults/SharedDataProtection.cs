using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

public static class SharedDataProtectionExtensions
{
    /// <summary>The setting that holds the certificate (base64 PKCS#12, private key included) the key ring is encrypted with.</summary>
    public const string CertificateSetting = "DataProtection:Certificate";

    /// <summary>
    /// One Data Protection key ring per application in Redis (<c>{application}:data-protection-keys</c>), so that a cookie
    /// or form token issued by one instance works on the others and after a restart. Each key is encrypted with the
    /// certificate in <see cref="CertificateSetting"/> (the AppHost's <c>data-protection-certificate</c>): reading Redis is
    /// not enough to forge a cookie. Without it the ring is kept in plain XML, which only Development allows. Needs the
    /// Redis client (<c>AddRedisClient</c>).
    /// </summary>
    public static IHostApplicationBuilder AddSharedDataProtection(this IHostApplicationBuilder builder, string application)
    {
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName(application);
        if (builder.Configuration[CertificateSetting] is { Length: > 0 } encoded)
        {
            var certificate = X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(encoded), password: null, X509KeyStorageFlags.EphemeralKeySet);
            dataProtection.ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
        }
        else if (!builder.Environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                $"{CertificateSetting} is not set: outside Development the Data Protection keys in Redis must be encrypted.");
        }

        var ringKey = $"{application}:data-protection-keys";
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IConnectionMultiplexer>((options, redis) =>
            options.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), ringKey));
        builder.Services.TryAddSingleton(TimeProvider.System);
        // First among the hosted services: Data Protection's own one loads the ring at start and, finding it empty,
        // would make a key of this instance's own before the lock could be taken.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService, SharedKeyRingAtStart>());
        return builder;
    }
}
