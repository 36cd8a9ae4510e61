namespace Platform.Gateway.Hosting;

/// <summary>One sliding-window budget: at most <see cref="PermitLimit"/> requests in any <see cref="Window"/>, per caller.</summary>
public sealed class RateLimitBudget
{
    public int PermitLimit { get; set; } = 100;

    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>The <c>Gateway:RateLimits</c> section.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Gateway:RateLimits";

    /// <summary>Every proxied request, per caller: the token's subject (user or client), else the client address.</summary>
    public RateLimitBudget PerCaller { get; set; } = new();

    /// <summary>Sign-in, token and registration requests, per client address, on top of <see cref="PerCaller"/>.</summary>
    public RateLimitBudget SignIn { get; set; } = new() { PermitLimit = 60, Window = TimeSpan.FromMinutes(1) };
}
