using Microsoft.EntityFrameworkCore.Migrations;

namespace Platform.Messaging.Outbox;

/// <summary>
/// How the relay learns that there is something to publish without polling: a statement trigger on
/// <c>outbox_messages</c> notifies the channel <see cref="Channel"/> when a transaction that added rows commits, and the
/// relay listens on it. Each service adds it to its database in a migration (<see cref="AddOutboxNotifications"/>).
/// </summary>
public static class OutboxNotifications
{
    public const string Channel = "outbox";

    /// <summary>Creates the trigger (idempotent).</summary>
    public const string CreateSql = $"""
        CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{Channel}', '');
            RETURN NULL;
        END $$;
        DROP TRIGGER IF EXISTS outbox_notify ON outbox_messages;
        CREATE TRIGGER outbox_notify AFTER INSERT ON outbox_messages FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
        """;

    public static void AddOutboxNotifications(this MigrationBuilder migrationBuilder) => migrationBuilder.Sql(CreateSql);

    public static void DropOutboxNotifications(this MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql("DROP TRIGGER IF EXISTS outbox_notify ON outbox_messages; DROP FUNCTION IF EXISTS outbox_notify();");
}
