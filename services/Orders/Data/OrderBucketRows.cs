using System.Data;
using Npgsql;
using Platform.Data.Sharding;

namespace Platform.Orders.Data;

/// <summary>
/// The orders of one bucket, for a move to another shard (<see cref="BucketMover"/>): orders and their lines, streamed from
/// the source in Postgres' binary copy format into temporary tables on the target and merged from there. Only the status
/// columns of an order and the prices of its lines ever change (when it settles), so a copy again brings those up to date.
/// </summary>
public sealed class OrderBucketRows : IBucketRows
{
    // May have changed since: placed or settled since then, or still processing (it can settle any moment).
    private const string ChangedSince = "(o.created_at >= $2 OR o.settled_at >= $2 OR o.status = 'Processing')";

    public async Task<int> CopyAsync(NpgsqlConnection source, NpgsqlConnection target, int bucket, DateTimeOffset? changedSince,
        CancellationToken cancellationToken)
    {
        var filter = changedSince is null ? "o.bucket = $1" : $"o.bucket = $1 AND {ChangedSince}";
        // One snapshot of the source for both: an order placed between the two reads would otherwise bring lines without their order.
        await using var snapshot = await source.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await ExecuteAsync(target, """
            CREATE TEMPORARY TABLE moving_orders (LIKE orders) ON COMMIT DROP;
            CREATE TEMPORARY TABLE moving_lines (LIKE order_lines) ON COMMIT DROP
            """, cancellationToken);
        await StreamAsync(source, $"SELECT o.* FROM orders o WHERE {filter}", target, "moving_orders", bucket, changedSince, cancellationToken);
        await StreamAsync(source, $"SELECT l.* FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE {filter}", target, "moving_lines",
            bucket, changedSince, cancellationToken);
        await snapshot.CommitAsync(cancellationToken);
        return await ExecuteAsync(target, """
            INSERT INTO orders SELECT * FROM moving_orders
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, settled_at = excluded.settled_at, cancel_reason = excluded.cancel_reason;
            INSERT INTO order_lines SELECT * FROM moving_lines
            ON CONFLICT (order_id, product_id) DO UPDATE SET unit_price = excluded.unit_price
            """, cancellationToken);
    }

    public Task<int> DeleteAsync(NpgsqlConnection shard, int bucket, CancellationToken cancellationToken) =>
        ExecuteAsync(shard, $"DELETE FROM orders WHERE bucket = {bucket}", cancellationToken); // the lines go with them (cascade)

    /// <summary>Rows of <paramref name="query"/> on the source into <paramref name="table"/> on the target, in binary, without parsing them.</summary>
    private static async Task StreamAsync(NpgsqlConnection source, string query, NpgsqlConnection target, string table, int bucket,
        DateTimeOffset? changedSince, CancellationToken cancellationToken)
    {
        // COPY takes no parameters: the values go in as literals of their own types.
        var sql = query.Replace("$1", $"{bucket}", StringComparison.Ordinal);
        if (changedSince is { } since)
        {
            sql = sql.Replace("$2", $"'{since.UtcDateTime:O}'::timestamptz", StringComparison.Ordinal);
        }

        await using var from = await source.BeginRawBinaryCopyAsync($"COPY ({sql}) TO STDOUT (FORMAT BINARY)", cancellationToken);
        await using var to = await target.BeginRawBinaryCopyAsync($"COPY {table} FROM STDIN (FORMAT BINARY)", cancellationToken);
        await from.CopyToAsync(to, cancellationToken);
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
