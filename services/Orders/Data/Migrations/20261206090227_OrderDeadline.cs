using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Orders.Data.Migrations
{
    /// <inheritdoc />
    public partial class OrderDeadline : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_orders_processing_created",
                table: "orders",
                column: "created_at",
                filter: "status = 'Processing'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_orders_processing_created",
                table: "orders");
        }
    }
}
