using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace Platform.Messaging;

/// <summary>
/// The service's one broker connection (Aspire's <see cref="IConnection"/>), resolved on first use instead of at start:
/// the client integration opens it when it is first resolved and throws when the broker stays unreachable, which must
/// delay a consumer or the outbox relay — they retry — and never stop the host. Once open, the client's automatic
/// recovery reconnects it (and re-registers consumers) after a broker restart.
/// </summary>
public sealed class BrokerConnection(IServiceProvider services)
{
    public async Task<IConnection> GetAsync()
    {
        await Task.Yield(); // the first resolution connects, with retries that block: never on the caller's thread
        return services.GetRequiredService<IConnection>();
    }
}
