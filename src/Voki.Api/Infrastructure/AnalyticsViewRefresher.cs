using Voki.Api.Endpoints;
using Voki.Grains.ReadModel;

namespace Voki.Api.Infrastructure;

/// <summary>
/// Keeps the analytics views' cut-off at most one refresh interval old, so only calls created before the last UTC midnight
/// that changed since the last refresh show late. Every node looks once a minute; the first to find the last refresh older
/// than the interval refreshes, the others find it fresh and leave it (AnalyticsRows.RefreshAsync takes turns).
/// </summary>
public sealed class AnalyticsViewRefresher(AnalyticsRows rows, AnalyticsOptions options, ILogger<AnalyticsViewRefresher> logger) : BackgroundService
{
    private static readonly TimeSpan Look = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        if (options.RefreshInterval <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(options.RefreshInterval < Look ? options.RefreshInterval : Look);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                try
                {
                    var state = await rows.RefreshAsync(options.RefreshInterval, stopping);
                    if (state.RefreshedNow) logger.LogInformation("Analytics views refreshed; they cover calls created before {CoversUntil:o}", state.CoversUntil);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Refreshing the analytics views failed; trying again in {Look}", Look);
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
