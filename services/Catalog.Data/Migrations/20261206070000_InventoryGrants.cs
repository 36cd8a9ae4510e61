using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Platform.Catalog.Data.Migrations;

/// <summary>
/// The inventory worker's rights in the catalog's database, exactly what it uses: it reads products' price and
/// stock and changes stock, keeps its reservations, and has its own outbox and inbox here. Granted to the
/// <c>inventory</c> login role when the platform created one (it does when the worker is part of the app).
/// </summary>
[DbContext(typeof(CatalogDb))]
[Migration("20261206070000_InventoryGrants")]
public sealed class InventoryGrants : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.Sql("""
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'inventory') THEN
            GRANT SELECT (id, price, stock), UPDATE (stock) ON products TO inventory;
            GRANT SELECT, INSERT, UPDATE (status) ON stock_reservations TO inventory;
            GRANT SELECT, INSERT ON stock_reservation_lines TO inventory;
            GRANT SELECT, INSERT, UPDATE (published_at), DELETE ON outbox_messages TO inventory;
            GRANT SELECT, INSERT, DELETE ON inbox_messages TO inventory;
          END IF;
        END $$;
        """);

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.Sql("""
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'inventory') THEN
            REVOKE ALL ON products, stock_reservations, stock_reservation_lines, outbox_messages, inbox_messages FROM inventory;
          END IF;
        END $$;
        """);
}
