using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Platform.Messaging.Outbox;

namespace Platform.Orders.Data.Migrations;

/// <summary>Wakes the outbox relay when events are added, instead of it polling (<see cref="OutboxNotifications"/>).</summary>
[DbContext(typeof(OrdersDb))]
[Migration("20261202090000_NotifyOutboxRelay")]
public sealed class NotifyOutboxRelay : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.AddOutboxNotifications();

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropOutboxNotifications();
}
