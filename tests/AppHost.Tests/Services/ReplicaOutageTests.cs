using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Platform.AppHost.Tests.Identity;

namespace Platform.AppHost.Tests.Services;

/// <summary>Queries keep answering while a replica is down, and right after it comes back (its old pooled connections are dead).</summary>
[Collection(SharedAppCollection.Name)]
public sealed class ReplicaOutageTests(SharedAppFixture fixture)
{
    private const int Reads = 12;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Catalog_and_orders_queries_answer_while_a_replica_is_stopped_and_after_it_restarts()
    {
        using var catalog = new ServiceClient(fixture.App, "catalog", await fixture.AccessTokenAsync(IdentityClient.Customer, "catalog"));
        using var orders = new ServiceClient(fixture.App, "orders", await fixture.AccessTokenAsync(IdentityClient.Customer, "orders"));
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        await AssertQueriesAnswerAsync(catalog, orders); // fills the services' pools, with connections to every replica

        Assert.True((await commands.ExecuteCommandAsync("postgres-replica1", KnownResourceCommands.StopCommand, Cancellation)).Success);
        try
        {
            await AssertQueriesAnswerAsync(catalog, orders);
        }
        finally
        {
            await fixture.App.StartAgainAsync("postgres-replica1", Cancellation);
        }

        await AssertQueriesAnswerAsync(catalog, orders);
    }

    private static async Task AssertQueriesAnswerAsync(ServiceClient catalog, ServiceClient orders)
    {
        for (var i = 0; i < Reads; i++)
        {
            // A search nobody made before: a cache miss, so the database answers.
            using var products = await catalog.GetAsync($"/products?search={Guid.NewGuid():N}");
            using var mine = await orders.GetAsync("/orders");

            Assert.Equal(HttpStatusCode.OK, products.StatusCode);
            Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        }
    }
}
