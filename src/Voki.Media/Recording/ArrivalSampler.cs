namespace Voki.Media.Recording;

/// <summary>
/// The least-delayed packet of a track in each window: the one whose arrival minus its media time (RTP timestamp in ms)
/// is smallest. Over many packets that difference approaches the sender's clock offset plus the path's least delay, free
/// of the queueing, pacing and busy-node delays that one packet or one sender report (RFC 3550 §6.4.1) can carry.
/// Written to the timeline as <c>sync</c> events; <see cref="TrackPlacement"/> places tracks by them.
/// </summary>
public sealed class ArrivalSampler(int clockRate)
{
    private bool _started, _any;
    private uint _lastRtp;
    private long _ticks; // the RTP clock unwrapped from the first packet
    private double _best;
    private uint _bestRtp;
    private long _bestAt;

    public void Offer(uint rtpTimestamp, long arrivalUnixMs)
    {
        if (!_started) { _started = true; _lastRtp = rtpTimestamp; }
        _ticks += unchecked((int)(rtpTimestamp - _lastRtp));
        _lastRtp = rtpTimestamp;
        var lateness = arrivalUnixMs - _ticks * 1000.0 / clockRate;
        if (_any && lateness >= _best) return;
        (_any, _best, _bestRtp, _bestAt) = (true, lateness, rtpTimestamp, arrivalUnixMs);
    }

    /// <summary>The window's least-delayed packet (its RTP timestamp and arrival), then a new window starts.</summary>
    public (uint Rtp, long At)? TakeWindow()
    {
        if (!_any) return null;
        _any = false;
        return (_bestRtp, _bestAt);
    }
}
