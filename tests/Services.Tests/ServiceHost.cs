using System.Xml.Linq;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Platform.Services.Tests;

/// <summary>
/// A service's real Program in memory (TestServer), with connection strings to nowhere: enough for everything that
/// does not touch a database, a broker or a cache — its endpoints, its OpenAPI document.
/// </summary>
internal sealed class ServiceHost<TEntryPoint>(string database) : WebApplicationFactory<TEntryPoint> where TEntryPoint : class
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        const string nowhere = "Host=127.0.0.1;Port=1;Username=nobody;Password=none;Database=none;Timeout=1";
        builder.UseEnvironment("Development");
        builder.UseSetting($"ConnectionStrings:{database}", nowhere);
        builder.UseSetting($"ConnectionStrings:{database}-readonly", nowhere);
        builder.UseSetting("ConnectionStrings:redis", "127.0.0.1:1,abortConnect=false,connectTimeout=100");
        builder.UseSetting("ConnectionStrings:eventbus", "amqp://nobody:none@127.0.0.1:1/");
        builder.UseSetting("Identity:Authority", "http://127.0.0.1:1/");
        builder.UseSetting("Identity:Issuer", "http://127.0.0.1:1/");
        // Background work (event consumers, the outbox relay) keeps retrying its broker: do not wait long for it on stop.
        builder.ConfigureServices(services => services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(1)));
        builder.ConfigureTestServices(services =>
        {
            // Data Protection keys (identity's are in Redis) in memory, and no first key made under a Redis lock.
            if (services.SingleOrDefault(d => d.ImplementationType?.Name == "SharedKeyRingAtStart") is { } sharedKeyRing)
            {
                services.Remove(sharedKeyRing);
                services.Configure<KeyManagementOptions>(options => options.XmlRepository = new InMemoryXmlRepository());
            }
            services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, TestAuthentication>(TestAuthentication.SchemeName, null);
            services.PostConfigure<AuthenticationOptions>(options =>
            {
                options.DefaultScheme = TestAuthentication.SchemeName;
                options.DefaultAuthenticateScheme = TestAuthentication.SchemeName;
                options.DefaultChallengeScheme = TestAuthentication.SchemeName;
            });
        });
    }
}

/// <summary>A Data Protection key ring that lives as long as the test host.</summary>
internal sealed class InMemoryXmlRepository : IXmlRepository
{
    private readonly List<XElement> _elements = [];

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        lock (_elements)
        {
            return [.. _elements];
        }
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        lock (_elements)
        {
            _elements.Add(element);
        }
    }
}

/// <summary>A started <see cref="ServiceHost{TEntryPoint}"/>, whatever its entry point.</summary>
internal sealed class RunningService(IServiceProvider services, Func<HttpClient> createClient, IAsyncDisposable host) : IAsyncDisposable
{
    public IServiceProvider Services { get; } = services;

    public HttpClient CreateClient() => createClient();

    public static RunningService Of<T>(WebApplicationFactory<T> host) where T : class => new(host.Services, host.CreateClient, host);

    public ValueTask DisposeAsync() => host.DisposeAsync();
}

/// <summary>Each API's service started once for a test class.</summary>
public sealed class ServiceHosts : IAsyncDisposable
{
    private readonly Dictionary<string, RunningService> _started = [];

    internal RunningService this[string api]
    {
        get
        {
            lock (_started)
            {
                if (!_started.TryGetValue(api, out var host))
                {
                    host = api switch
                    {
                        "catalog" => RunningService.Of(new ServiceHost<Catalog.Products.ProductReads>("catalogdb")),
                        "orders" => RunningService.Of(new ServiceHost<Orders.Data.OrdersDb>("ordersdb")),
                        "identity" => RunningService.Of(new ServiceHost<Identity.Data.IdentityDb>("identitydb")),
                        _ => throw new ArgumentOutOfRangeException(nameof(api)),
                    };
                    _started[api] = host;
                }

                return host;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _started.Values)
        {
            await host.DisposeAsync();
        }
    }
}
