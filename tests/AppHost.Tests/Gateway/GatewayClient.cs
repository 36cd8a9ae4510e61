using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Platform.AppHost.Tests.Gateway;

/// <summary>
/// A caller of the gateway, optionally from another loopback address (127.0.0.2, …): every 127.x address reaches
/// the gateway on this machine, and each is another client address to its rate limits.
/// </summary>
internal static class GatewayClient
{
    public static HttpClient Create(DistributedApplication app, string? accessToken = null, string? from = null) =>
        Create(app.GetEndpoint("gateway", "http"), accessToken, from);

    public static HttpClient Create(Uri baseAddress, string? accessToken = null, string? from = null)
    {
        var client = new HttpClient(Handler(from)) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (accessToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        return client;
    }

    /// <summary>A handler that follows no redirect and connects from <paramref name="from"/> (a loopback address), if given.</summary>
    public static SocketsHttpHandler Handler(string? from)
    {
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1) };
        if (from is not null)
        {
            var local = IPAddress.Parse(from);
            handler.ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        return handler;
    }
}
