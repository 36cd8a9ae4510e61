using Microsoft.EntityFrameworkCore;
using Platform.Messaging.Inbox;
using Platform.Messaging.Outbox;

namespace Platform.Messaging;

/// <summary>The outbox and inbox tables, in each service's own database.</summary>
public static class MessagingModel
{
    /// <summary>Adds <c>outbox_messages</c> and <c>inbox_messages</c> to the model (call from <c>OnModelCreating</c>).</summary>
    public static ModelBuilder AddOutboxAndInbox(this ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<OutboxMessage>(outbox =>
        {
            outbox.ToTable("outbox_messages");
            outbox.HasKey(m => m.Sequence);
            outbox.Property(m => m.Sequence).HasColumnName("sequence").UseIdentityAlwaysColumn();
            outbox.Property(m => m.Id).HasColumnName("id");
            outbox.Property(m => m.Type).HasColumnName("type").HasMaxLength(200);
            outbox.Property(m => m.Payload).HasColumnName("payload").HasColumnType("jsonb");
            outbox.Property(m => m.CreatedAt).HasColumnName("created_at");
            outbox.Property(m => m.PublishedAt).HasColumnName("published_at");
            outbox.Property(m => m.Attempts).HasColumnName("attempts");
            outbox.Property(m => m.LastError).HasColumnName("last_error").HasMaxLength(2000);
            outbox.Property(m => m.ParkedAt).HasColumnName("parked_at");
            outbox.Property(m => m.TraceParent).HasColumnName("trace_parent").HasMaxLength(128);
            outbox.Property(m => m.TraceState).HasColumnName("trace_state").HasMaxLength(512);
            outbox.HasIndex(m => m.Id, "ux_outbox_messages_id").IsUnique();
            // The relay's query: pending messages in order. Published and parked rows drop out of the index.
            outbox.HasIndex(m => m.Sequence, "ix_outbox_messages_pending").HasFilter("published_at IS NULL AND parked_at IS NULL");
            outbox.HasIndex(m => m.Sequence, "ix_outbox_messages_parked").HasFilter("parked_at IS NOT NULL");
        });

        modelBuilder.Entity<InboxMessage>(inbox =>
        {
            inbox.ToTable("inbox_messages");
            inbox.HasKey(m => new { m.MessageId, m.Consumer });
            inbox.Property(m => m.MessageId).HasColumnName("message_id");
            inbox.Property(m => m.Consumer).HasColumnName("consumer").HasMaxLength(100);
            inbox.Property(m => m.ProcessedAt).HasColumnName("processed_at");
        });
        return modelBuilder;
    }

    /// <summary>Queues <paramref name="event"/> for publication when this context's changes are saved.</summary>
    public static void AddEvent(this DbContext db, IntegrationEvent @event)
    {
        var message = EventMessage.From(@event);
        db.Set<OutboxMessage>().Add(new OutboxMessage
        {
            Id = message.Id,
            Type = message.Type,
            Payload = message.Payload,
            CreatedAt = @event.OccurredAt,
            TraceParent = message.TraceParent,
            TraceState = message.TraceState,
        });
    }
}
