using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Npgsql;
using NpgsqlTypes;

namespace Platform.Bench;

/// <summary>
/// Runs an insert loop on the primary and, per replica, watches <c>pg_last_wal_replay_lsn()</c>:
/// a commit's lag is the time from its commit until the replica has replayed past its WAL position.
/// </summary>
internal static class ReplicaLag
{
    public sealed record ReplicaResult(string Name, int Samples, double P50, double P99, double Max);

    public sealed record Result(int Inserts, long PeakMemory, IReadOnlyList<ReplicaResult> Replicas);

    public static async Task<Result> MeasureAsync(DistributedApplication app, TimeSpan duration, Func<ProcessTree.Memory> memory)
    {
        var primaryConnectionString = await app.GetConnectionStringAsync("catalogdb");
        await using var primary = new NpgsqlConnection(primaryConnectionString);
        await primary.OpenAsync();
        await ExecuteAsync(primary, "CREATE TABLE IF NOT EXISTS bench_lag (id bigserial PRIMARY KEY, payload text NOT NULL)");

        var commits = new List<(ulong Lsn, long At)>();
        using var stop = new CancellationTokenSource();
        var replicaNames = new[] { "postgres-replica1", "postgres-replica2" };
        var watchers = new List<Task<ReplicaResult>>();
        foreach (var name in replicaNames)
        {
            watchers.Add(WatchAsync(name, $"{await app.GetConnectionStringAsync(name)};Database=catalogdb", commits, stop.Token));
        }

        long peakMemory = 0;
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peakMemory = Math.Max(peakMemory, memory().Total);
                await Task.Delay(500);
            }
        });

        var clock = Stopwatch.StartNew();
        await using var insert = new NpgsqlCommand("INSERT INTO bench_lag (payload) VALUES ('payload of a typical small row')", primary);
        await using var position = new NpgsqlCommand("SELECT pg_current_wal_lsn()", primary);
        var inserts = 0;
        while (clock.Elapsed < duration)
        {
            await insert.ExecuteNonQueryAsync();
            var lsn = (NpgsqlLogSequenceNumber)(await position.ExecuteScalarAsync())!;
            lock (commits)
            {
                commits.Add(((ulong)lsn, Stopwatch.GetTimestamp()));
            }

            inserts++;
        }

        await Task.Delay(TimeSpan.FromSeconds(1)); // let the replicas catch up with the last commits
        await stop.CancelAsync();
        await sampler;
        return new Result(inserts, peakMemory, await Task.WhenAll(watchers));
    }

    private static async Task<ReplicaResult> WatchAsync(string name, string connectionString, List<(ulong Lsn, long At)> commits, CancellationToken stop)
    {
        await using var replica = new NpgsqlConnection(connectionString);
        await replica.OpenAsync(CancellationToken.None);
        await using var replayed = new NpgsqlCommand("SELECT pg_last_wal_replay_lsn()", replica);
        var lags = new List<double>();
        var next = 0;
        while (!stop.IsCancellationRequested)
        {
            var lsn = (ulong)(NpgsqlLogSequenceNumber)(await replayed.ExecuteScalarAsync(CancellationToken.None))!;
            var now = Stopwatch.GetTimestamp();
            lock (commits)
            {
                for (; next < commits.Count && commits[next].Lsn <= lsn; next++)
                {
                    lags.Add(Stopwatch.GetElapsedTime(commits[next].At, now).TotalMilliseconds);
                }
            }

            await Task.Delay(1, CancellationToken.None);
        }

        lags.Sort();
        return lags.Count == 0
            ? new ReplicaResult(name, 0, double.NaN, double.NaN, double.NaN)
            : new ReplicaResult(name, lags.Count, lags[lags.Count / 2], lags[(int)(lags.Count * 0.99)], lags[^1]);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
