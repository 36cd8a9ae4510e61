using System.Net;
using System.Net.Sockets;

namespace Platform.AppHost.Tests;

internal static class Ports
{
    /// <summary>A loopback port that nothing listens on now.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
