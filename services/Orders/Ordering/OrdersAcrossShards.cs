using System.Buffers.Text;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Platform.Data.Sharding;
using Platform.Orders.Data;
using static Microsoft.Extensions.Hosting.AuthenticationExtensions;

namespace Platform.Orders.Ordering;

/// <summary>
/// For operators (scope <c>orders.admin</c>, granted to admins only): every customer's orders, newest first, read from all
/// shards at once (at most <see cref="Parallelism"/> at a time, on their replicas) and merged. Pages are keyset pages: the
/// answer's <c>next</c> cursor continues after the last order, whatever was placed meanwhile. Each shard lists only the
/// buckets this process's map gives it, so an order in the middle of a move is listed once (or, during its fence, not at all). A shard that does not answer is named in
/// <c>unavailableShards</c>: the page is then partial, its orders missing from it.
/// </summary>
public static class OrdersAcrossShards
{
    public const string Scope = "orders.admin";
    private const int Parallelism = 4;

    public static IEndpointRouteBuilder MapOrdersAcrossShards(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/admin/orders").WithTags("Operators").RequireAuthorization(ScopePolicy(Scope)).MapGet("/", ListAsync);
        return app;
    }

    /// <summary>Every customer's orders, newest first, from every shard.</summary>
    /// <param name="shards">The orders' shards.</param>
    /// <param name="logger">Where a shard that did not answer is logged.</param>
    /// <param name="ct">Request aborted.</param>
    /// <param name="status">Only orders in this state: processing, confirmed or cancelled.</param>
    /// <param name="from">Only orders placed at or after this time.</param>
    /// <param name="to">Only orders placed before this time.</param>
    /// <param name="after">The <c>next</c> cursor of the previous page.</param>
    /// <param name="pageSize">Orders per page (1–200).</param>
    private static async Task<Results<Ok<OrdersAcrossShardsPage>, ValidationProblem>> ListAsync(ShardedDatabase<OrdersDb> shards,
        ILogger<OrderLog> logger, CancellationToken ct, string? status = null, DateTimeOffset? from = null, DateTimeOffset? to = null,
        string? after = null, [Range(1, 200)] int pageSize = 50)
    {
        var errors = new Dictionary<string, string[]>();
        OrderStatus? state = null;
        if (status is not null)
        {
            if (Enum.TryParse<OrderStatus>(status, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(status, out _))
            {
                state = parsed;
            }
            else
            {
                errors["status"] = ["processing, confirmed or cancelled"];
            }
        }

        Cursor? cursor = null;
        if (after is not null && (cursor = Cursor.Parse(after)) is null)
        {
            errors["after"] = ["The next cursor of an earlier page."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var pages = new List<OrderRow>[shards.Shards.Count];
        var unavailable = new bool[shards.Shards.Count];
        await Parallel.ForEachAsync(shards.Shards, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (shard, token) =>
        {
            try
            {
                pages[shard.Index] = await PageAsync(shards, shard, state, from, to, cursor, pageSize, token);
            }
            catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException && !token.IsCancellationRequested)
            {
                unavailable[shard.Index] = true;
                pages[shard.Index] = [];
                OrderLog.ShardUnavailable(logger, shard.Name, e.Message);
            }
        });

        var merged = pages.SelectMany(p => p).OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.Id, NewestFirst.Ids).Take(pageSize).ToList();
        var next = merged.Count == pageSize ? new Cursor(merged[^1].CreatedAt, merged[^1].Id).ToString() : null;
        return TypedResults.Ok(new OrdersAcrossShardsPage(
            [.. merged.Select(o => new OrderAcrossShards(o.Id, o.BuyerId, o.Status.ToString().ToLowerInvariant(), o.CreatedAt, o.Shard))],
            next, [.. shards.Shards.Where(s => unavailable[s.Index]).Select(s => s.Name)]));
    }

    private static async Task<List<OrderRow>> PageAsync(ShardedDatabase<OrdersDb> shards, Shard<OrdersDb> shard, OrderStatus? status, DateTimeOffset? from, DateTimeOffset? to,
        Cursor? after, int pageSize, CancellationToken ct)
    {
        // The buckets this process's map gives the shard: each bucket is read from one shard, so an order in the middle of a
        // move is listed once (the shards' own tables, read on replicas at different moments, could both claim it or neither).
        var buckets = shards.BucketsOf(shard).Select(b => (short)b).ToArray();
        await using var read = await shard.Database.ReadAsync(after: null, ct);
        var orders = read.Db.Orders.Where(o => buckets.Contains(o.Bucket));
        if (status is { } s)
        {
            orders = orders.Where(o => o.Status == s);
        }

        if (from?.ToUniversalTime() is { } start) // Postgres' timestamptz takes UTC only
        {
            orders = orders.Where(o => o.CreatedAt >= start);
        }

        if (to?.ToUniversalTime() is { } end)
        {
            orders = orders.Where(o => o.CreatedAt < end);
        }

        if (after is { } cursor)
        {
            orders = orders.Where(o => EF.Functions.LessThan(ValueTuple.Create(o.CreatedAt, o.Id), ValueTuple.Create(cursor.CreatedAt, cursor.Id)));
        }

        return await orders.OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.Id).Take(pageSize)
            .Select(o => new OrderRow(o.Id, o.BuyerId, o.Status, o.CreatedAt, shard.Name))
            .ToListAsync(ct);
    }

    private sealed record OrderRow(Guid Id, string BuyerId, OrderStatus Status, DateTimeOffset CreatedAt, string Shard);

    /// <summary>Where a page ended: the last order's time and id, as <c>base64url("{ticks}_{id}")</c>.</summary>
    private sealed record Cursor(DateTimeOffset CreatedAt, Guid Id)
    {
        public override string ToString() =>
            Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{CreatedAt.UtcTicks}_{Id:N}")));

        public static Cursor? Parse(string text)
        {
            try
            {
                var parts = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(text)).Split('_');
                return parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                    && ticks <= DateTimeOffset.MaxValue.UtcTicks && Guid.TryParseExact(parts[1], "N", out var id)
                    ? new Cursor(new DateTimeOffset(ticks, TimeSpan.Zero), id)
                    : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }
    }

    /// <summary>Ids in Postgres' order (their bytes as written), which is not <see cref="Guid.CompareTo(Guid)"/>'s.</summary>
    private sealed class NewestFirst : IComparer<Guid>
    {
        public static readonly NewestFirst Ids = new();

        public int Compare(Guid x, Guid y) => x.ToByteArray(bigEndian: true).AsSpan().SequenceCompareTo(y.ToByteArray(bigEndian: true));
    }
}

/// <summary>One order in the operators' list, with the shard it is on.</summary>
public sealed record OrderAcrossShards(Guid Id, string BuyerId, string Status, DateTimeOffset CreatedAt, string Shard);

/// <summary>A page of the operators' list: <c>Next</c> continues it; <c>UnavailableShards</c> did not answer (their orders are missing).</summary>
public sealed record OrdersAcrossShardsPage(IReadOnlyList<OrderAcrossShards> Items, string? Next, IReadOnlyList<string> UnavailableShards);
