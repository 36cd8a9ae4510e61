using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Platform.Contracts;
using Platform.Data;
using Platform.Data.Sharding;
using Platform.Messaging;
using Platform.Orders.Data;
using static Microsoft.Extensions.Hosting.AuthenticationExtensions;

namespace Platform.Orders.Ordering;

/// <summary>
/// Orders over HTTP (scope <c>orders</c>), each on the shard of its customer's bucket. Placing an order is a command on
/// that shard's primary that answers 202 at once; reading orders are queries on its replicas. A customer only ever sees their own orders:
/// the owner is part of every query, so someone else's order is simply not found (404).
/// </summary>
public static class OrdersApi
{
    public const string Scope = "orders";

    /// <summary>The policy for placing orders: a customer's token, not a machine's (whose subject is a client, not a buyer).</summary>
    public const string CustomerPolicy = "customer";
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    private const int MaxIdempotencyKeyLength = 100;

    public static IEndpointRouteBuilder MapOrders(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/orders").WithTags("Orders").RequireAuthorization(ScopePolicy(Scope));
        orders.MapPost("/", PlaceAsync).RequireAuthorization(CustomerPolicy);
        orders.MapGet("/{id:guid}", GetAsync);
        orders.MapGet("/", ListAsync);
        return app;
    }

    /// <summary>
    /// Stores the order and answers 202 with its id and a Location. With an <c>Idempotency-Key</c>, a retry
    /// returns the same order (never a second one); the same key with a different body is 422.
    /// </summary>
    private static async Task<Results<Accepted<OrderAccepted>, ValidationProblem, ProblemHttpResult>> PlaceAsync(
        PlaceOrderRequest request, [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey,
        ShardSession<OrdersDb> shards, TimeProvider time, HttpContext http, ILogger<OrderLog> logger, OrderMetrics metrics, CancellationToken ct)
    {
        if (Validate(request, idempotencyKey) is { } invalid)
        {
            return invalid;
        }

        var buyer = Buyer(http.User);
        var bucket = Buckets.Of(buyer);
        var hash = RequestHash(request);
        var order = new Order
        {
            Id = Buckets.NewId(bucket),
            Bucket = (short)bucket,
            BuyerId = buyer,
            Status = OrderStatus.Processing,
            CreatedAt = time.GetUtcNow(),
            IdempotencyKey = idempotencyKey,
            RequestHash = hash,
            Lines = [.. request.Items.Select(item => new OrderLine { ProductId = item.ProductId, Quantity = item.Quantity })],
        };
        for (var attempt = 1; ; attempt++)
        {
            // The customer's shard; while a move fences the bucket, a moment's wait, then 503 (the client's retry, same key, is safe).
            var shard = await shards.Database.RouteAsync(bucket, OrderShards.FenceWait, ct);
            var db = shards.Write(shard);
            db.Orders.Add(order);
            // Same transaction as the order: the event is published (by the outbox relay) if and only if the order exists.
            db.AddEvent(new OrderPlaced(order.Id, buyer, [.. request.Items.Select(item => new OrderLineItem(item.ProductId, item.Quantity))]));
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } && idempotencyKey is not null)
            {
                // A retry: the key's order exists (placed earlier, or by a concurrent retry a moment ago). The
                // unique index decides, in one round trip on the common path and without a check-then-insert race.
                db.ChangeTracker.Clear();
                return await ReplayAsync((await FindByKeyAsync(db, buyer, idempotencyKey, ct))!, hash, shard, http, ct);
            }
            catch (DbUpdateException e) when (BucketOwnership.IsNotOwned(e) && attempt == 1)
            {
                // The bucket moved since this process last read the map: read it again and place the order where it is now.
                db.ChangeTracker.Clear();
                await shards.Database.RefreshAsync(TimeSpan.Zero, ct);
                continue;
            }
            catch (DbUpdateException e) when (BucketOwnership.IsNotOwned(e))
            {
                throw new ShardUnavailableException(bucket);
            }

            OrderLog.Placed(logger, order.Id, order.Lines.Sum(l => l.Quantity));
            metrics.Placed();
            return await AcceptedAsync(order, shard, http, ct);
        }
    }

    private static async Task<Results<Ok<OrderResponse>, NotFound>> GetAsync(
        Guid id, [FromHeader(Name = ConsistencyToken.HeaderName)] ConsistencyToken? after,
        ShardedDatabase<OrdersDb> shards, HttpContext http, CancellationToken ct)
    {
        var buyer = Buyer(http.User);
        var bucket = Buckets.Of(buyer);
        var shard = await shards.RouteAsync(bucket, OrderShards.FenceWait, ct);
        var order = await FindAsync(shard, id, buyer, after, ct);
        if (order is null)
        {
            // Perhaps the customer's bucket has just moved and this process's map is behind (for up to Sharding:RefreshInterval).
            await shards.RefreshAsync(TimeSpan.FromSeconds(1), ct);
            if (shards.OwnerOf(bucket) is not { } owner || owner == shard || await FindAsync(owner, id, buyer, after, ct) is not { } moved)
            {
                return TypedResults.NotFound();
            }

            order = moved;
        }

        var items = order.Lines.Select(l => new OrderItemResponse(l.ProductId, l.Quantity, l.UnitPrice)).ToList();
        var total = items.All(i => i.UnitPrice is not null) ? items.Sum(i => i.Quantity * i.UnitPrice!.Value) : (decimal?)null;
        return TypedResults.Ok(new OrderResponse(order.Id, StatusName(order.Status), order.CreatedAt, order.SettledAt, items, total, order.CancelReason));
    }

    private static async Task<OrderDetail?> FindAsync(Shard<OrdersDb> shard, Guid id, string buyer, ConsistencyToken? after, CancellationToken ct)
    {
        await using var read = await shard.Database.ReadAsync(after, ct);
        return await read.Db.Orders.Where(o => o.Id == id && o.BuyerId == buyer)
            .Select(o => new OrderDetail(o.Id, o.Status, o.CreatedAt, o.SettledAt, o.CancelReason, o.Lines.OrderBy(l => l.ProductId).ToList()))
            .FirstOrDefaultAsync(ct);
    }

    private sealed record OrderDetail(Guid Id, OrderStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? SettledAt, string? CancelReason, List<OrderLine> Lines);

    /// <summary>The caller's own orders, newest first.</summary>
    /// <param name="after">The <c>Consistency-Token</c> of the caller's last order: the list includes it.</param>
    /// <param name="shards">The orders' shards (the caller's orders are all on one).</param>
    /// <param name="http">The request (the caller's identity).</param>
    /// <param name="ct">Request aborted.</param>
    /// <param name="page">1-based page number.</param>
    /// <param name="pageSize">Orders per page (1–100).</param>
    private static async Task<Ok<OrderPage>> ListAsync(
        [FromHeader(Name = ConsistencyToken.HeaderName)] ConsistencyToken? after, ShardedDatabase<OrdersDb> shards, HttpContext http,
        CancellationToken ct, [Range(1, 10_000)] int page = 1, [Range(1, 100)] int pageSize = 20)
    {
        // Parameters one by one, not [AsParameters]: see the catalog's product list (dotnet/aspnetcore#65348).
        var query = new OrderQuery(page, pageSize);
        var buyer = Buyer(http.User);
        var shard = await shards.RouteAsync(Buckets.Of(buyer), OrderShards.FenceWait, ct);
        await using var read = await shard.Database.ReadAsync(after, ct);
        var mine = read.Db.Orders.Where(o => o.BuyerId == buyer);
        var total = await mine.CountAsync(ct);
        var orders = await mine.OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.Id)
            .Skip((query.Page - 1) * query.PageSize).Take(query.PageSize)
            .Select(o => new
            {
                o.Id,
                o.Status,
                o.CreatedAt,
                Quantity = o.Lines.Sum(l => l.Quantity),
                Unpriced = o.Lines.Any(l => l.UnitPrice == null),
                Total = o.Lines.Sum(l => l.Quantity * l.UnitPrice),
            })
            .ToListAsync(ct);
        var items = orders.Select(o => new OrderSummary(o.Id, StatusName(o.Status), o.CreatedAt, o.Quantity, o.Unpriced ? null : o.Total)).ToList();
        return TypedResults.Ok(new OrderPage(items, query.Page, query.PageSize, total));
    }

    private static async Task<Results<Accepted<OrderAccepted>, ValidationProblem, ProblemHttpResult>> ReplayAsync(
        Order earlier, string hash, Shard<OrdersDb> shard, HttpContext http, CancellationToken ct)
    {
        if (earlier.RequestHash != hash)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency-Key reused",
                detail: "This Idempotency-Key was already used for a different order. Use a new key for a new order.");
        }

        http.Response.Headers["Idempotent-Replayed"] = "true";
        return await AcceptedAsync(earlier, shard, http, ct);
    }

    private static async Task<Results<Accepted<OrderAccepted>, ValidationProblem, ProblemHttpResult>> AcceptedAsync(
        Order order, Shard<OrdersDb> shard, HttpContext http, CancellationToken ct)
    {
        http.Response.Headers[ConsistencyToken.HeaderName] = (await shard.Database.WrittenAsync(ct)).ToString();
        return TypedResults.Accepted($"{http.Request.PathBase}/orders/{order.Id}", new OrderAccepted(order.Id, StatusName(order.Status)));
    }

    private static Task<Order?> FindByKeyAsync(OrdersDb db, string buyer, string key, CancellationToken ct) =>
        db.Orders.AsNoTracking().FirstOrDefaultAsync(o => o.BuyerId == buyer && o.IdempotencyKey == key, ct);

    /// <summary>What attributes cannot say: one line per product, and a well-formed idempotency key.</summary>
    private static ValidationProblem? Validate(PlaceOrderRequest request, string? idempotencyKey)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Items.GroupBy(i => i.ProductId).Any(g => g.Count() > 1))
        {
            errors["items"] = ["List each product once, with its total quantity."];
        }
        else if (request.Items.Sum(i => i.Quantity) > PlaceOrderRequest.MaxItems)
        {
            errors["items"] = [$"An order has at most {PlaceOrderRequest.MaxItems} items in all."];
        }

        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > MaxIdempotencyKeyLength || idempotencyKey.Any(c => c is < '!' or > '~')))
        {
            errors[IdempotencyKeyHeader] = [$"1 to {MaxIdempotencyKeyLength} visible ASCII characters."];
        }

        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : null;
    }

    private static string RequestHash(PlaceOrderRequest request)
    {
        var canonical = string.Join(';', request.Items.OrderBy(i => i.ProductId).Select(i => $"{i.ProductId}x{i.Quantity}"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    private static string Buyer(ClaimsPrincipal user) =>
        user.FindFirstValue("sub") ?? throw new InvalidOperationException("An authenticated token always has a subject.");

    private static string StatusName(OrderStatus status) => status.ToString().ToLowerInvariant();
}
