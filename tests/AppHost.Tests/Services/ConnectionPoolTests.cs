using System.Net;
using Npgsql;
using Platform.AppHost.Tests.Identity;
using Platform.Data;

namespace Platform.AppHost.Tests.Services;

/// <summary>A burst of requests queues in the service for a pooled connection instead of opening a Postgres backend each.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class ConnectionPoolTests(SharedAppFixture fixture)
{
    private const int Burst = 200;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_burst_of_orders_is_served_with_no_more_connections_than_the_pool_allows()
    {
        // A product that does not exist: the orders are accepted all the same (inventory cancels them later) and the
        // burst takes no stock that other tests count on.
        const int productId = int.MaxValue;
        using var orders = new ServiceClient(fixture.App, "orders", await fixture.AccessTokenAsync(IdentityClient.Customer, "orders"));
        await using var observer = await Databases.OpenAsync(fixture.App, "postgres", "postgres");
        using var burstDone = new CancellationTokenSource();
        var observing = WidestProcessAsync(observer, burstDone.Token);

        var responses = await Task.WhenAll(Enumerable.Range(0, Burst).Select(_ =>
            orders.SendJsonAsync(HttpMethod.Post, "/orders", new { items = new[] { new { productId, quantity = 1 } } })));
        await burstDone.CancelAsync();
        var (widest, connections) = await observing;

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.Accepted, response.StatusCode));
        Assert.NotNull(widest); // the orders processes name their connections
        Assert.True(connections <= ConnectionSettings.DefaultMaxPoolSize,
            $"'{widest}' held {connections} connections to ordersdb; the pool allows {ConnectionSettings.DefaultMaxPoolSize}.");
    }

    /// <summary>
    /// The most connections to ordersdb on the primary that one pool held at any moment, until cancelled. A pool is an
    /// application name: service, connection name (the read-only one also reaches the primary), process.
    /// </summary>
    private static async Task<(string? Process, long Connections)> WidestProcessAsync(NpgsqlConnection observer, CancellationToken until)
    {
        (string? Process, long Connections) widest = (null, 0);
        while (!until.IsCancellationRequested)
        {
            await using var command = new NpgsqlCommand("""
                SELECT application_name, count(*) FROM pg_stat_activity
                WHERE datname = 'ordersdb' AND application_name <> '' GROUP BY application_name ORDER BY count(*) DESC LIMIT 1
                """, observer);
            await using (var reader = await command.ExecuteReaderAsync(Cancellation))
            {
                if (await reader.ReadAsync(Cancellation) && reader.GetInt64(1) > widest.Connections)
                {
                    widest = (reader.GetString(0), reader.GetInt64(1));
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10), Cancellation);
        }

        return widest;
    }
}
