using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Sample.Data;
using static Microsoft.Extensions.Hosting.AuthenticationExtensions;

namespace Platform.Sample.Orders;

/// <summary>The orders this service received, newest first, read from a replica.</summary>
public static class ReceivedOrdersApi
{
    public const string Scope = "sample";

    public static WebApplication MapReceivedOrders(this WebApplication app)
    {
        var orders = app.MapGroup("/received-orders").WithTags("Received orders").RequireAuthorization(ScopePolicy(Scope));
        orders.MapGet("/", ListAsync);
        return app;
    }

    /// <summary>A page of received orders (<paramref name="pageSize"/> 1–100).</summary>
    private static async Task<Ok<List<ReceivedOrder>>> ListAsync(ReplicatedDatabase<SampleDb> database,
        [Range(1, 100)] int pageSize = 20, CancellationToken ct = default)
    {
        await using var read = await database.ReadAsync(null, ct);
        var page = await read.Db.ReceivedOrders.OrderByDescending(o => o.ReceivedAt).Take(pageSize).ToListAsync(ct);
        return TypedResults.Ok(page);
    }
}
