using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Platform.Bench;

/// <summary><c>pgbench</c>'s standard TPC-B-like transaction against the platform's primary, in a scratch database.</summary>
internal static partial class PgBench
{
    public static async Task<double> TransactionsPerSecondAsync(string serverConnectionString, TimeSpan duration, int clients)
    {
        var server = new NpgsqlConnectionStringBuilder(serverConnectionString);
        await using (var connection = new NpgsqlConnection(serverConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("DROP DATABASE IF EXISTS pgbench_scratch; CREATE DATABASE pgbench_scratch", connection);
            await create.ExecuteNonQueryAsync();
        }

        var environment = new Dictionary<string, string>
        {
            ["PGHOST"] = server.Host!,
            ["PGPORT"] = server.Port.ToString(CultureInfo.InvariantCulture),
            ["PGUSER"] = server.Username!,
            ["PGPASSWORD"] = server.Password!,
            ["PGDATABASE"] = "pgbench_scratch",
        };
        await Wrk.RunAsync("pgbench", ["-i", "-q", "-s", "10"], environment);
        var output = await Wrk.RunAsync("pgbench",
            ["-n", "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", "2", "-T", ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture)],
            environment);
        return double.Parse(Tps().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"tps = ([\d.]+)")]
    private static partial Regex Tps();
}
