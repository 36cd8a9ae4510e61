using global::RabbitMQ.Client;

namespace Platform.AppHost.Infrastructure.RabbitMQ;

/// <summary>
/// The AppHost's own connection to a broker for health checks: one connection, reopened when it drops, so that
/// checks every few seconds do not churn connections in the broker's log.
/// </summary>
public sealed class ProbeConnection(IResourceWithConnectionString broker, string clientName) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;

    public async Task<IConnection> GetAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is { IsOpen: true })
            {
                return _connection;
            }

            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }

            var uri = await broker.ConnectionStringExpression.GetValueAsync(cancellationToken);
            var factory = new ConnectionFactory { Uri = new Uri(uri!), RequestedConnectionTimeout = TimeSpan.FromSeconds(5), AutomaticRecoveryEnabled = false };
            _connection = await factory.CreateConnectionAsync(clientName, cancellationToken);
            return _connection;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _connection?.Dispose();
        _gate.Dispose();
    }
}
