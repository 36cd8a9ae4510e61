namespace Platform.AppHost.Services;

/// <summary>Settings of the simulated payment provider, passed on from the AppHost's configuration.</summary>
public static class PaymentProvider
{
    /// <summary>
    /// <c>Payments:FailureRate</c> (0–1) and <c>Payments:Latency</c> from the AppHost configuration (e.g.
    /// <c>eng/run.sh --Payments:FailureRate=1</c>), when set; the worker's own defaults otherwise.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithPaymentProvider(this IResourceBuilder<ProjectResource> payments)
    {
        var configuration = payments.ApplicationBuilder.Configuration.GetSection("Payments");
        foreach (var setting in new[] { "FailureRate", "Latency" })
        {
            if (configuration[setting] is { Length: > 0 } value)
            {
                payments.WithEnvironment($"Payments__{setting}", value);
            }
        }

        return payments;
    }
}
