using Npgsql;

namespace Platform.AppHost.Tests.Services;

/// <summary>Least privilege in Postgres: each service logs in as its own role, which can open its own database only.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class DatabaseLoginTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    // (database, role) of every login the app model creates.
    private static readonly (string Database, string Role)[] Logins =
    [
        ("identitydb", "identity"), ("catalogdb", "catalog"), ("ordersdb", "orders"), ("ordersdb2", "orders"), // orders: both shards
//#if (workers)
        ("paymentsdb", "payments"), ("catalogdb", "inventory"),
//#endif
    ];

    [Fact]
    public async Task Every_service_process_connects_as_its_own_role_never_as_the_superuser()
    {
        foreach (var resource in new[] { "identity", "catalog", "catalog-2", "orders", "orders-2",
//#if (workers)
                     "inventory", "payments",
//#endif
                 })
        {
            var role = resource.Split('-')[0];
            foreach (var environment in await LocalProcesses.EnvironmentsOfAsync(fixture.App, resource))
            {
                var connectionStrings = environment
                    .Where(variable => variable.StartsWith("ConnectionStrings__", StringComparison.Ordinal) && variable.Contains("Database=", StringComparison.Ordinal))
                    .ToList();
                Assert.NotEmpty(connectionStrings);
                Assert.All(connectionStrings, variable => Assert.Contains($"Username={role};", variable, StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public async Task A_services_role_opens_its_own_database_and_no_other_and_is_no_superuser()
    {
        var databases = Logins.Select(l => l.Database).Distinct().ToArray();
        foreach (var (database, role) in Logins)
        {
            var connectionString = await fixture.App.ConnectionStringAsync($"{database}-{role}", Cancellation);
            await using (var own = new NpgsqlConnection($"{connectionString};Pooling=false"))
            {
                await own.OpenAsync(Cancellation);
                await using var who = new NpgsqlCommand("SELECT current_user, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user", own);
                await using var reader = await who.ExecuteReaderAsync(Cancellation);
                Assert.True(await reader.ReadAsync(Cancellation));
                Assert.Equal(role, reader.GetString(0));
                Assert.False(reader.GetBoolean(1) || reader.GetBoolean(2) || reader.GetBoolean(3), $"{role} has more than login rights");
            }

            foreach (var other in databases.Where(d => !Logins.Contains((d, role))))
            {
                var builder = new NpgsqlConnectionStringBuilder(connectionString) { Database = other, Pooling = false };
                await using var foreign = new NpgsqlConnection(builder.ConnectionString);
                var refused = await Assert.ThrowsAsync<PostgresException>(() => foreign.OpenAsync(Cancellation));
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
            }
        }
    }
//#if (workers)

    [Fact]
    public async Task The_inventory_role_has_exactly_the_catalog_rights_it_uses()
    {
        var connectionString = await fixture.App.ConnectionStringAsync("catalogdb-inventory", Cancellation);
        await using var connection = new NpgsqlConnection($"{connectionString};Pooling=false");
        await connection.OpenAsync(Cancellation);

        // What it uses: stock and price; a stock change (rolled back).
        await using (var transaction = await connection.BeginTransactionAsync(Cancellation))
        {
            await ExecuteAsync(connection, "SELECT id, price, stock FROM products LIMIT 1", transaction);
            await ExecuteAsync(connection, "UPDATE products SET stock = stock WHERE id = 1", transaction);
            await transaction.RollbackAsync(Cancellation);
        }

        // What it does not: names, prices, deleting, the catalog's own schema.
        foreach (var sql in new[]
                 {
                     "SELECT name FROM products LIMIT 1", "UPDATE products SET price = price WHERE id = 1",
                     "DELETE FROM products WHERE id = -1", "DELETE FROM stock_reservations WHERE order_id = gen_random_uuid()",
                     "CREATE TABLE inventory_probe (id int)", "TRUNCATE inbox_messages",
                 })
        {
            await using var transaction = await connection.BeginTransactionAsync(Cancellation);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connection, sql, transaction));
            Assert.True(refused.SqlState == PostgresErrorCodes.InsufficientPrivilege, $"{sql}: {refused.Message}");
            await transaction.RollbackAsync(Cancellation);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, NpgsqlTransaction transaction)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(Cancellation);
    }
//#endif
}
