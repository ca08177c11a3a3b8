namespace Voki.Media.Recording;

/// <summary>
/// A token bucket in bytes: <c>rate</c> bits per second refill it, up to <c>burst</c>'s worth. A capture that spends
/// faster than the rate for longer than the burst runs it dry. Not thread-safe: its owner locks.
/// </summary>
internal sealed class ByteBudget(long bitsPerSecond, TimeSpan burst)
{
    private readonly double _bytesPerMs = bitsPerSecond / 8000.0;
    private readonly double _capacity = bitsPerSecond / 8.0 * burst.TotalSeconds;
    private double _tokens = bitsPerSecond / 8.0 * burst.TotalSeconds;
    private long _lastMs = -1;

    /// <summary>Takes <paramref name="bytes"/> at <paramref name="nowMs"/>; false when the budget does not hold them.</summary>
    public bool TrySpend(int bytes, long nowMs)
    {
        if (_lastMs >= 0) _tokens = Math.Min(_capacity, _tokens + Math.Max(0, nowMs - _lastMs) * _bytesPerMs);
        _lastMs = nowMs;
        if (_tokens < bytes) return false;
        _tokens -= bytes;
        return true;
    }
}
