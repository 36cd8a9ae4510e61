using System.ComponentModel.DataAnnotations;

namespace Platform.LoadGenerator;

/// <summary>The <c>LoadGenerator</c> section: what to offer, as whom, through which gateway.</summary>
public sealed class LoadOptions
{
    public const string Section = "LoadGenerator";

    /// <summary>The highest rate the dashboard command accepts; the gateway's per-caller limit (100 requests/s) is near.</summary>
    public const double MaxOrdersPerSecond = 50;

    /// <summary>Orders placed per second (0: idle), each after <see cref="ReadsPerOrder"/> catalog reads.</summary>
    [Range(0, MaxOrdersPerSecond)]
    public double OrdersPerSecond { get; set; } = 2;

    [Range(0, 20)]
    public int ReadsPerOrder { get; set; } = 3;

    /// <summary>Requests in flight at most; a visit beyond it is counted as skipped, not queued (the offered rate stays the rate).</summary>
    [Range(1, 1000)]
    public int MaxInFlight { get; set; } = 64;

    /// <summary>The customer whose orders these are (the identity service's demo customer).</summary>
    [Required]
    public string Customer { get; set; } = "customer@platform.test";

    /// <summary>Its password (the AppHost gives the generated demo password).</summary>
    [Required]
    public string Password { get; set; } = "";

    /// <summary>The gateway, the only way in (service discovery's <c>services:gateway:http:0</c>).</summary>
    [Required]
    public Uri? Gateway { get; set; }
}
