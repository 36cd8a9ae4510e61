using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Platform.Gateway.Proxy;
using RedisRateLimiting;
using StackExchange.Redis;

namespace Platform.Gateway.Hosting;

/// <summary>The gateway's request budgets: who pays for a request, and how much each caller may spend.</summary>
public static class EdgeRateLimits
{
    /// <summary>The route policy (<c>RateLimiterPolicy</c> in the proxy configuration) for sign-in, token and registration requests.</summary>
    public const string SignInPolicy = "sign-in";

    /// <summary>
    /// Sliding-window budgets: one per caller for the proxied traffic (<c>Gateway:RateLimits:PerCaller</c>, counted per
    /// gateway instance) and, instead of it, a stricter one per address for signing in (<c>Gateway:RateLimits:SignIn</c>,
    /// kept in Redis so that every gateway instance draws on the same count — to the millisecond: the library's fixed
    /// window counts whole seconds). While Redis is unreachable each instance counts on its own instead of failing
    /// requests. A refusal is a 429 problem with <c>Retry-After</c>.
    /// </summary>
    internal static void Configure(RateLimiterOptions options, RateLimitOptions limits)
    {
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        // Sign-in routes have their own budget instead: counted in both, a request would take two permits here (the
        // middleware tries the global limiter once more when a Redis-backed one cannot answer synchronously).
        options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => IsProbe(context) || IsSignIn(context)
            ? RateLimitPartition.GetNoLimiter("own budget")
            : Partition(context, "caller:" + CallerOf(context), limits.PerCaller));
        options.AddPolicy(SignInPolicy, context => Partition(context, "sign-in:" + AddressOf(context.Connection.RemoteIpAddress), limits.SignIn));
        options.OnRejected = async (rejected, ct) =>
        {
            var context = rejected.HttpContext;
            var signIn = IsSignIn(context);
            var seconds = RetryAfterSeconds(rejected.Lease, signIn ? limits.SignIn : limits.PerCaller);
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            context.RequestServices.GetRequiredService<ProxyMetrics>().Rejected(signIn ? SignInPolicy : "per-caller");
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new()
            {
                HttpContext = context,
                ProblemDetails =
                {
                    Status = StatusCodes.Status429TooManyRequests,
                    Title = "Too many requests",
                    Detail = $"The request budget of this caller is used up; try again in {seconds} s.",
                },
            });
        };
    }

    /// <summary>
    /// Who pays for a request: the token's subject (a user, or the client id for client credentials) when the request
    /// carries a valid token, else the client address — IPv6 by /64, the block one customer usually holds.
    /// </summary>
    public static string CallerOf(HttpContext context) =>
        context.User.FindFirst("sub")?.Value is { Length: > 0 } subject
            ? "sub:" + subject
            : "ip:" + AddressOf(context.Connection.RemoteIpAddress);

    public static string AddressOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }

        return address.ToString();
    }

    private static RateLimitPartition<string> Partition(HttpContext context, string key, RateLimitBudget budget)
    {
        if (!budget.Shared)
        {
            return RateLimitPartition.GetSlidingWindowLimiter(key, _ => LocalOptions(budget));
        }

        var redis = context.RequestServices.GetRequiredService<IConnectionMultiplexer>();
        return RateLimitPartition.Get(key, partition => new RedisOrLocalRateLimiter(
            new RedisSlidingWindowRateLimiter<string>("gateway:" + partition, new RedisSlidingWindowRateLimiterOptions
            {
                ConnectionMultiplexerFactory = () => redis,
                PermitLimit = budget.PermitLimit,
                Window = budget.Window,
            }),
            new SlidingWindowRateLimiter(LocalOptions(budget))));
    }

    private static SlidingWindowRateLimiterOptions LocalOptions(RateLimitBudget budget) => new()
    {
        PermitLimit = budget.PermitLimit,
        Window = budget.Window,
        SegmentsPerWindow = 10,
        QueueLimit = 0,
    };

    /// <summary>When a permit is sure to be free again: the lease says so when it knows, else a whole window from now.</summary>
    private static int RetryAfterSeconds(RateLimitLease lease, RateLimitBudget budget) =>
        lease.TryGetMetadata(RateLimitMetadataName.RetryAfter, out var redisSeconds) ? Math.Max(1, redisSeconds)
        : lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
        : Math.Max(1, (int)Math.Ceiling(budget.Window.TotalSeconds));

    private static bool IsSignIn(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == SignInPolicy;

    private static bool IsProbe(HttpContext context) =>
        context.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.HealthEndpointPath) ||
        context.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.AlivenessEndpointPath);
}
