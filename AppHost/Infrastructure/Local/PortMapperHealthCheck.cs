using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.AppHost.Infrastructure.Local;

/// <summary>
/// Healthy once the Erlang port mapper answers a NAMES request (a bare connect would make it log
/// "got partial packet" at every check).
/// </summary>
internal sealed class PortMapperHealthCheck(EndpointReference endpoint) : IHealthCheck
{
    private static readonly byte[] NamesRequest = [0, 1, (byte)'n'];

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!endpoint.IsAllocated)
        {
            return HealthCheckResult.Unhealthy($"{endpoint.EndpointName} has no port yet.");
        }

        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", endpoint.Port, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync(NamesRequest, cancellationToken);
            var reply = new byte[4]; // the port mapper's own port, then the registered names
            await stream.ReadExactlyAsync(reply, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return HealthCheckResult.Unhealthy(e.Message);
        }
    }
}
