using System.Diagnostics;
using System.Text.Json;

namespace Platform.Messaging;

/// <summary>An integration event on the wire: its id, name (routing key), JSON payload and the trace it belongs to.</summary>
public sealed record EventMessage(Guid Id, string Type, string Payload, string? TraceParent, string? TraceState)
{
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>The routing key of an event type: its name.</summary>
    public static string NameOf(Type eventType) => eventType.Name;

    /// <summary>Wraps an event, remembering the current trace so that consumers continue it.</summary>
    public static EventMessage From(IntegrationEvent @event) => new(
        @event.Id, NameOf(@event.GetType()), JsonSerializer.Serialize(@event, @event.GetType(), Json),
        Activity.Current?.Id, Activity.Current?.TraceStateString);
}
