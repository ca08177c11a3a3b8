namespace Voki.Media.Sfu;

/// <summary>
/// What one subscriber's own estimator says its downlink carries: the bitrate of its latest REMB
/// (draft-alvestrand-rmcat-remb), which a browser computes from our abs-send-time stamps. Stale after
/// <see cref="FreshFor"/>: a subscriber that stopped reporting no longer holds anyone's bitrate down.
/// </summary>
public sealed class DownlinkEstimate
{
    public static readonly TimeSpan FreshFor = TimeSpan.FromSeconds(3);
    private long _bitsPerSecond;
    private long _atTicks = long.MinValue;

    public void OnRemb(ulong bitsPerSecond, TimeSpan now)
    {
        Interlocked.Exchange(ref _bitsPerSecond, (long)Math.Min(bitsPerSecond, long.MaxValue));
        Interlocked.Exchange(ref _atTicks, now.Ticks);
    }

    /// <summary>The subscriber's estimate in bit/s, or null when it has none or it is stale.</summary>
    public long? Current(TimeSpan now)
    {
        var at = Interlocked.Read(ref _atTicks);
        if (at == long.MinValue || now.Ticks - at > FreshFor.Ticks) return null;
        return Interlocked.Read(ref _bitsPerSecond);
    }
}
