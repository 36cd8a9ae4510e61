using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace Platform.Identity.Hosting;

/// <summary>
/// Deletes tokens that can no longer be used (expired, redeemed, revoked) and authorizations left without tokens,
/// once they are older than a refresh token's lifetime: the token table would otherwise grow with every sign-in
/// and refresh. Safe with several instances: each run is one set-based delete per table.
/// </summary>
internal sealed partial class TokenPruning(IServiceScopeFactory scopes, IOptions<IdentitySettings> settings, TimeProvider time,
    ILogger<TokenPruning> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.Value.TokenPruningInterval, time);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var threshold = time.GetUtcNow() - settings.Value.RefreshTokenLifetime;
                var tokens = await scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>().PruneAsync(threshold, stoppingToken);
                var authorizations = await scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>().PruneAsync(threshold, stoppingToken);
                if (tokens + authorizations > 0)
                {
                    LogPruned(logger, tokens, authorizations, threshold);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e); // the database may be restarting: the next run tries again
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(LogLevel.Information, "Pruned {Tokens} tokens and {Authorizations} authorizations created before {Threshold}")]
    private static partial void LogPruned(ILogger logger, long tokens, long authorizations, DateTimeOffset threshold);

    [LoggerMessage(LogLevel.Warning, "Token pruning failed; it runs again at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
