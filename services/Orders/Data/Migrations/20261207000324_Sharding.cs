using Microsoft.EntityFrameworkCore.Migrations;
using Platform.Data.Sharding;

#nullable disable

namespace Platform.Orders.Data.Migrations
{
    /// <summary>
    /// Orders carry their customer's bucket, and the shard refuses rows of buckets it does not own (<see cref="BucketOwnership"/>).
    /// Orders from before this migration get bucket 0 (no version with orders in the field preceded it).
    /// </summary>
    public partial class Sharding : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<short>(
                name: "bucket",
                table: "orders",
                type: "smallint",
                nullable: false,
                defaultValue: (short)0);

            migrationBuilder.CreateIndex(
                name: "ix_orders_bucket",
                table: "orders",
                column: "bucket");

            migrationBuilder.CreateIndex(
                name: "ix_orders_created_id",
                table: "orders",
                columns: new[] { "created_at", "id" },
                descending: new bool[0]);

            migrationBuilder.AddBucketOwnership("orders");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropBucketOwnership("orders");

            migrationBuilder.DropIndex(
                name: "ix_orders_bucket",
                table: "orders");

            migrationBuilder.DropIndex(
                name: "ix_orders_created_id",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "bucket",
                table: "orders");
        }
    }
}
