using System.Net;
using System.Net.Sockets;
using Yarp.ReverseProxy.Forwarder;

namespace Platform.Gateway.Proxy;

/// <summary>
/// Connections to an instance on this machine leave from the gateway's own loopback address
/// (<see cref="ForwardedHeadersDefaults.GatewayLoopbackAddress"/>), the one local address whose <c>X-Forwarded-*</c>
/// headers the services believe. Other destinations (a pod network) are connected to as usual.
/// </summary>
public sealed class LoopbackSourceHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        if (ForwardedHeadersDefaults.GatewayLoopbackAddress is { } source)
        {
            handler.ConnectCallback = (connection, cancellation) => ConnectAsync(connection.DnsEndPoint, source, cancellation);
        }
    }

    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, IPAddress source, CancellationToken cancellation)
    {
        var addresses = await Dns.GetHostAddressesAsync(endpoint.Host, cancellation);
        var loopback = Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetwork && IPAddress.IsLoopback(a));
        var socket = loopback is null
            ? new Socket(SocketType.Stream, ProtocolType.Tcp)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        try
        {
            if (loopback is null)
            {
                await socket.ConnectAsync(addresses, endpoint.Port, cancellation);
            }
            else
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(new IPEndPoint(loopback, endpoint.Port), cancellation);
            }

            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
