namespace Platform.Payments;

/// <summary>The simulated card provider (configuration section <c>Payments</c>).</summary>
public sealed class PaymentProviderOptions
{
    /// <summary>How long a charge takes.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The share of charges declined, 0–1.</summary>
    public double FailureRate { get; set; }
}

/// <summary>Stands in for a real payment provider: answers after <see cref="PaymentProviderOptions.Latency"/>, declining a share of charges.</summary>
public sealed class PaymentProvider(Microsoft.Extensions.Options.IOptionsMonitor<PaymentProviderOptions> options, TimeProvider time)
{
    public async Task<bool> ChargeAsync(decimal amount, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        await Task.Delay(settings.Latency, time, cancellationToken);
        return amount > 0 && Random.Shared.NextDouble() >= settings.FailureRate;
    }
}
