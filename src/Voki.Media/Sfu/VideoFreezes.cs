namespace Voki.Media.Sfu;

/// <summary>
/// Freezes of one published camera as the SFU sees them: a stretch of more than <see cref="Threshold"/> between two
/// complete frames while the camera's packets kept coming (no pause between its packets over the threshold: a sender
/// that stops a stream, a muted camera or a paused simulcast layer, is not frozen, it is off). A simulcast camera's
/// layers share one, so it is frozen only while none of its layers completes a frame. Which frames are complete the
/// track's receiver says (<see cref="PublishedTrack"/>). Thread-safe.
/// </summary>
public sealed class VideoFreezes
{
    /// <summary>Longer than this without a frame is a freeze a viewer notices (WebRTC's freeze metric uses a similar bound).</summary>
    public static readonly TimeSpan Threshold = TimeSpan.FromMilliseconds(500);

    private readonly object _gate = new();
    private bool _started;
    private TimeSpan _lastPacket, _lastFrame, _frozen;
    private int _count;

    /// <summary>A packet of the camera arrived at <paramref name="now"/>; <paramref name="completesFrame"/> when a frame is complete with it.</summary>
    public void OnPacket(TimeSpan now, bool completesFrame)
    {
        lock (_gate)
        {
            // The first packet, or the first after the sender paused: measuring starts afresh.
            if (!_started || now - _lastPacket > Threshold) _lastFrame = now;
            _started = true;
            _lastPacket = now;
            if (!completesFrame) return;
            var gap = now - _lastFrame;
            if (gap > Threshold) { _count++; _frozen += gap; }
            _lastFrame = now;
        }
    }

    /// <summary>Freezes so far, the one under way at <paramref name="now"/> included.</summary>
    public FreezeTotals Totals(TimeSpan now)
    {
        lock (_gate)
        {
            var stalled = _started && now - _lastPacket <= Threshold && now - _lastFrame > Threshold;
            return stalled ? new FreezeTotals(_count + 1, _frozen + (now - _lastFrame), true) : new FreezeTotals(_count, _frozen, false);
        }
    }
}

/// <summary>How many freezes, how long frozen in all, and whether frozen now.</summary>
public readonly record struct FreezeTotals(int Count, TimeSpan Frozen, bool FrozenNow)
{
    public static FreezeTotals operator +(FreezeTotals a, FreezeTotals b) => new(a.Count + b.Count, a.Frozen + b.Frozen, a.FrozenNow || b.FrozenNow);
}
