using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Services sit behind the gateway, which sets <c>X-Forwarded-For/Proto/Host/Prefix</c>. A service believes those
/// headers only from the gateway's addresses (<c>ForwardedHeaders:KnownProxies</c>, default
/// <see cref="GatewayLoopbackAddress"/>; <c>ForwardedHeaders:KnownNetworks</c> for a pod network), so a client that
/// calls a service directly cannot pose as another address. No server banner either.
/// </summary>
public static class ForwardedHeadersDefaults
{
    /// <summary>
    /// The address the gateway connects from to a service on the same machine: a loopback address of its own, so that a
    /// service tells the gateway apart from every other local process (all of them connect from 127.0.0.1). macOS has
    /// only 127.0.0.1 on its loopback interface unless configured otherwise; there the gateway connects from it like
    /// everyone else and services believe any local process (null).
    /// </summary>
    public static IPAddress? GatewayLoopbackAddress { get; } = OperatingSystem.IsMacOS() ? null : IPAddress.Parse("127.0.0.100");

    public static TBuilder AddForwardedHeadersDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var section = builder.Configuration.GetSection("ForwardedHeaders");
        var proxies = section.GetSection("KnownProxies").Get<string[]>() ??
            (GatewayLoopbackAddress is { } gateway ? [gateway.ToString()] : ["127.0.0.1", "::1"]);
        var networks = section.GetSection("KnownNetworks").Get<string[]>() ?? [];
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto |
                                       ForwardedHeaders.XForwardedHost | ForwardedHeaders.XForwardedPrefix;
            // The defaults trust all of 127.0.0.0/8: on one machine that is every local client, not just the gateway.
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var proxy in proxies)
            {
                options.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in networks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        builder.Services.Configure<KestrelServerOptions>(options => options.AddServerHeader = false);
        return builder;
    }
}
