using System.Threading.RateLimiting;

namespace Voki.Api.Auth;

/// <summary>The one kind of limit Voki uses: so many permits per key per fixed window, no queueing (decisions.md "Auth").</summary>
public static class FixedWindows
{
    public static FixedWindowRateLimiterOptions Options(int permits, TimeSpan window) =>
        new() { PermitLimit = permits, Window = window, QueueLimit = 0 };

    public static PartitionedRateLimiter<TKey> PerKey<TKey>(int permits, TimeSpan window) where TKey : notnull =>
        PartitionedRateLimiter.Create<TKey, TKey>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => Options(permits, window)));

    /// <summary>Whether <paramref name="key"/> has a permit left; otherwise how long until it has (the window when unknown).</summary>
    public static bool TryAcquire<TKey>(this PartitionedRateLimiter<TKey> limiter, TKey key, TimeSpan window, out TimeSpan retryAfter)
    {
        using var lease = limiter.AttemptAcquire(key);
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : window;
        return lease.IsAcquired;
    }
}
