using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Platform.Messaging;

namespace Platform.AppHost.Tests.Messaging;

/// <summary>The event the messaging tests send. <see cref="Fail"/> makes its handler throw, every time.</summary>
public sealed record Probe(string Note, bool Fail = false) : IntegrationEvent;

/// <summary>What the probe handler writes: one row per handled event, in the handler's (inbox) transaction.</summary>
public sealed class HandledProbe
{
    public Guid EventId { get; set; }

    public required string Note { get; set; }
}

public sealed class MessagingDb(DbContextOptions<MessagingDb> options) : DbContext(options)
{
    public DbSet<HandledProbe> Handled => Set<HandledProbe>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddOutboxAndInbox();
        modelBuilder.Entity<HandledProbe>(handled =>
        {
            handled.ToTable("handled_probes");
            handled.HasKey(h => h.EventId);
        });
    }
}

/// <summary>Counts every handler invocation per note, and the trace each one ran in.</summary>
public sealed class ProbeAttempts
{
    public ConcurrentDictionary<string, int> ByNote { get; } = new();

    public ConcurrentDictionary<string, string?> TraceByNote { get; } = new();
}

public sealed class ProbeHandler(MessagingDb db, ProbeAttempts attempts) : IIntegrationEventHandler<Probe>
{
    public Task HandleAsync(Probe integrationEvent, CancellationToken cancellationToken)
    {
        attempts.ByNote.AddOrUpdate(integrationEvent.Note, 1, (_, n) => n + 1);
        attempts.TraceByNote[integrationEvent.Note] = System.Diagnostics.Activity.Current?.TraceId.ToString();
        if (integrationEvent.Fail)
        {
            throw new InvalidOperationException($"{integrationEvent.Note} always fails");
        }

        db.Handled.Add(new HandledProbe { EventId = integrationEvent.Id, Note = integrationEvent.Note });
        return Task.CompletedTask;
    }
}
