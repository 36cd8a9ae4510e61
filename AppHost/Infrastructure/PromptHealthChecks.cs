using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.AppHost.Infrastructure;

/// <summary>
/// Aspire re-checks a resource that is not healthy yet after 1, 2, 3, 4, then every 5 s, so each level of the
/// start-up order (Postgres → migrations → services) waited up to 5 s after it was already up. Every health check of
/// the app model is wrapped: while it reports not healthy, it tries again every <see cref="Interval"/> for up to
/// <see cref="Patience"/> before answering — a resource is seen ready promptly. A check that was healthy the last time
/// answers at once, so a failure is reported as soon as before.
/// </summary>
public static class PromptHealthChecks
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    public static IServiceCollection AddPromptHealthChecks(this IServiceCollection services)
    {
        services.PostConfigure<HealthCheckServiceOptions>(options =>
        {
            foreach (var registration in options.Registrations)
            {
                var create = registration.Factory;
                var state = new State();
                registration.Factory = provider => new Prompt(() => create(provider), state);
            }
        });
        return services;
    }

    private sealed class State
    {
        public volatile bool WasHealthy;
    }

    private sealed class Prompt(Func<IHealthCheck> create, State state) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var result = await CheckOnceAsync(context, cancellationToken);
            var deadline = DateTime.UtcNow + Patience;
            while (result.Status != HealthStatus.Healthy && !state.WasHealthy && DateTime.UtcNow < deadline)
            {
                await Task.Delay(Interval, cancellationToken);
                result = await CheckOnceAsync(context, cancellationToken);
            }

            state.WasHealthy = result.Status == HealthStatus.Healthy;
            return result;
        }

        // A check that cannot even be made yet (no connection string before the resource has started) is not healthy yet.
        private async Task<HealthCheckResult> CheckOnceAsync(HealthCheckContext context, CancellationToken cancellationToken)
        {
            try
            {
                return await create().CheckHealthAsync(context, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, e.Message, e);
            }
        }
    }
}
