using System.Diagnostics.CodeAnalysis;

namespace Platform.Messaging;

/// <summary>Handles one kind of integration event. Resolved in a fresh scope per message.</summary>
[SuppressMessage("Naming", "CA1711", Justification = "It handles integration events; it is not a .NET event delegate.")]
public interface IIntegrationEventHandler<in TEvent> where TEvent : IntegrationEvent
{
    Task HandleAsync(TEvent integrationEvent, CancellationToken cancellationToken);
}
