using System.Net;
using System.Net.Sockets;

namespace Platform.AppHost.Services;

/// <summary>
/// Ports for the services' direct endpoints. They are chosen when the app model is built but bound only when the service
/// starts, a minute later on a first start; so they are taken below the operating system's ephemeral range. A port from
/// that range (what asking for port 0 gives) can meanwhile become the local port of any outgoing connection — a health
/// check, a database client — and the service then fails to start: address in use.
/// </summary>
internal static class LoopbackPorts
{
    private const int Lowest = 10_000;

    /// <summary>Where Linux's ephemeral ports begin unless configured otherwise; Windows and macOS begin theirs at 49152.</summary>
    private const int DefaultEphemeralStart = 32_768;

    private static readonly HashSet<int> Given = [];

    /// <summary>A loopback port nothing listens on, below the ephemeral range, not given out before by this process.</summary>
    public static int Free()
    {
        var end = EphemeralStart();
        lock (Given)
        {
            for (var attempt = 0; attempt < 1_000; attempt++)
            {
                var port = Random.Shared.Next(Lowest, end);
                if (!Given.Contains(port) && IsFree(port))
                {
                    Given.Add(port);
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"No free loopback port between {Lowest} and {end}.");
    }

    private static int EphemeralStart()
    {
        try
        {
            // "32768	60999"
            var start = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0],
                System.Globalization.CultureInfo.InvariantCulture);
            return start > Lowest + 1_000 ? start : DefaultEphemeralStart;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return DefaultEphemeralStart;
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
