using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.AppHost.Tests.Gateway;
using Platform.AppHost.Tests.Identity;

namespace Platform.AppHost.Tests.Services;

/// <summary>
/// Walks every operation of every API's OpenAPI document with malformed requests (<see cref="BadRequests"/>), sent straight
/// to the services, signed in with a token that may call the operation: no command is carried out, no answer is a 5xx,
/// every 400 is a problem document, and not one row of the services' tables changes.
/// </summary>
[Collection(SharedAppCollection.Name)]
public sealed class BadInputWalkerTests(SharedAppFixture fixture)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>The tables whose rows malformed requests could change, by database.</summary>
    private static readonly (string Database, string Table)[] Tables =
    [
        ("identitydb", "AspNetUsers"), ("identitydb", "AspNetUserRoles"),
        ("catalogdb", "products"), ("catalogdb", "stock_reservations"),
        ("ordersdb", "orders"), ("ordersdb", "order_lines"), ("ordersdb", "outbox_messages"),
        ("ordersdb2", "orders"), ("ordersdb2", "order_lines"), ("ordersdb2", "outbox_messages"),
    ];

    [Fact]
    public async Task Malformed_requests_to_every_documented_operation_get_a_4xx_and_change_no_row()
    {
        var app = fixture.App;
        var tokens = new Dictionary<string, string>
        {
            ["catalog"] = await fixture.AccessTokenAsync(IdentityClient.Admin, "catalog catalog.admin"),
            ["orders"] = await fixture.AccessTokenAsync(IdentityClient.Customer, "orders"),
            ["identity"] = await WalkerTokenAsync(), // a user of its own: its password is what a bad change request would hit
        };
        var pathValues = new Dictionary<string, string> { ["id"] = (await ProductAsync(tokens["catalog"])).ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var before = await StableSnapshotAsync();

        var failures = new List<string>();
        var sent = 0;
        foreach (var (api, token) in tokens)
        {
            // From an address of its own: identity's registration limit counts per address, and other tests sign in.
            using var client = GatewayClient.Create(app.GetEndpoint(api, "http"), token, from: "127.0.0.9");
            var document = JsonNode.Parse(await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative), Cancellation))!;
            foreach (var (path, operations) in document["paths"]!.AsObject())
            {
                var values = path.StartsWith("/orders", StringComparison.Ordinal)
                    ? new Dictionary<string, string> { ["id"] = Guid.NewGuid().ToString() }
                    : pathValues;
                foreach (var (method, operation) in operations!.AsObject().Where(o => o.Key != "parameters"))
                {
                    foreach (var bad in BadRequests.For(document, path, method, operation!, values))
                    {
                        using var request = bad.Build();
                        HttpResponseMessage response;
                        try
                        {
                            response = await client.SendAsync(request, Cancellation);
                        }
                        catch (HttpRequestException) when (bad.Body?.Length > 64 * 1024)
                        {
                            continue; // answered 413 and closed the connection while the rest was still being sent: refused
                        }

                        using var _ = response;
                        sent++;
                        var status = (int)response.StatusCode;
                        var accepted = status < 300 && bad.Method != HttpMethod.Get; // a command carried out: it was not refused
                        if (accepted || status >= 500 || (status == 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json"))
                        {
                            var body = await response.Content.ReadAsStringAsync(Cancellation);
                            failures.Add($"{api}: {bad.Method} {path}, {bad.Description} → {status} {body[..Math.Min(body.Length, 300)]}");
                        }
                    }
                }
            }
        }

        Assert.True(sent > 250, $"only {sent} requests: were the documents read?");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        Assert.Equal(before, await SnapshotAsync());
    }

    private async Task<string> WalkerTokenAsync()
    {
        var identity = new IdentityClient(fixture.App);
        var email = $"walker-{Guid.NewGuid():N}@example.test";
        using var registered = await identity.RegisterAsync(email, BadRequests.WalkerPassword, Cancellation);
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        return (await identity.LogInAsync(email, BadRequests.WalkerPassword, "openid users", Cancellation)).AccessToken;
    }

    /// <summary>A product of the walker's own, so that the operations on one product get past "not found" to the bad part.</summary>
    private async Task<int> ProductAsync(string adminToken)
    {
        using var admin = new ServiceClient(fixture.App, "catalog", adminToken);
        using var created = await admin.SendJsonAsync(HttpMethod.Post, "/products", new { name = $"Walker {Guid.NewGuid():N}", price = 1m, stock = 1 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<Product>(Cancellation))!.Id;
    }

    /// <summary>A snapshot once two, a second apart, agree: what earlier tests set going has settled.</summary>
    private async Task<string> StableSnapshotAsync()
    {
        var (first, _) = await Eventually.ReachesAsync(async () =>
        {
            var first = await SnapshotAsync();
            await Task.Delay(TimeSpan.FromSeconds(1), Cancellation);
            return (First: first, Second: await SnapshotAsync());
        }, snapshots => snapshots.First == snapshots.Second, _ => "The tables never stopped changing.", TimeSpan.FromSeconds(60));
        return first;
    }

    /// <summary>Row count and a hash of every row, per table.</summary>
    private async Task<string> SnapshotAsync()
    {
        var tables = new List<string>();
        foreach (var (database, table) in Tables)
        {
            tables.Add($"{table}: " + await Databases.ScalarAsync<string>(fixture.App, database,
                $"SELECT count(*) || '/' || coalesce(sum(hashtext(t::text)::bigint), 0) FROM \"{table}\" t"));
        }

        return string.Join("; ", tables);
    }
}
