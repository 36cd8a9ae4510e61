namespace Platform.Gateway.Hosting;

/// <summary>One sliding-window budget: at most <see cref="PermitLimit"/> requests in any <see cref="Window"/>, per caller.</summary>
public sealed class RateLimitBudget
{
    public int PermitLimit { get; set; } = 100;

    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Counted in Redis, one budget for all gateway instances (a round trip per request); otherwise each instance
    /// counts on its own, and a caller spread over N instances gets up to N budgets.
    /// </summary>
    public bool Shared { get; set; }
}

/// <summary>The <c>Gateway:RateLimits</c> section.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Gateway:RateLimits";

    /// <summary>
    /// Every proxied request, per caller: the token's subject (user or client), else the client address. Counted per
    /// gateway instance by default: it guards capacity, where an approximate count is enough and a Redis round trip
    /// on every request is not worth its cost (measured: a third of the gateway's throughput).
    /// </summary>
    public RateLimitBudget PerCaller { get; set; } = new();

    /// <summary>
    /// Sign-in, token and registration requests, per client address, instead of <see cref="PerCaller"/>. Shared through
    /// Redis by default: it guards against password guessing, which must not get a budget per gateway instance.
    /// </summary>
    public RateLimitBudget SignIn { get; set; } = new() { PermitLimit = 60, Window = TimeSpan.FromMinutes(1), Shared = true };
}
