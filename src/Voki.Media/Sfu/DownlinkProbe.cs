namespace Voki.Media.Sfu;

/// <summary>
/// Whether a subscriber's downlink carries the next simulcast layer up, found out before switching to it. A browser's
/// receive-side estimate (REMB) grows by about 8 % a second and never beyond about 1.5 times what it receives
/// (libwebrtc's AIMD rate control), so a subscriber given a low layer cannot report room for a higher one unless it is
/// sent more. While a probe runs we pad its RTX stream (which its estimator counts) up to just under its estimate, so
/// the estimate can keep rising until the next layer fits. A probe fails when the estimate falls well below its peak
/// (the link is full) or after <see cref="Longest"/>; the next is tried after a short back-off
/// (<see cref="Backoff"/>): the padding only ever fills what the estimate already allows, so probing a link that
/// really is thin costs it a little queueing now and then, and a link that widens is found within seconds.
/// </summary>
internal sealed class DownlinkProbe
{
    public static readonly TimeSpan Longest = TimeSpan.FromSeconds(20);
    public static readonly TimeSpan Backoff = TimeSpan.FromSeconds(2);
    /// <summary>An estimate this far below the probe's peak ends it: the padding filled the link.</summary>
    public const double FallToFail = 0.85;
    private readonly object _gate = new();
    private TimeSpan _startedAt, _notBefore, _lastPadding;
    private bool _active;
    private long _rate, _peak;
    private double _credit;

    /// <summary>Starts a probe, or, while one runs, sets its padding rate and judges the estimate; false when it just failed.</summary>
    public bool Run(long estimate, long paddingRate, TimeSpan now)
    {
        lock (_gate)
        {
            if (!_active)
            {
                if (now < _notBefore) return true;
                (_active, _startedAt, _lastPadding, _credit, _peak) = (true, now, now, 0, estimate);
            }
            _peak = Math.Max(_peak, estimate);
            if (estimate < _peak * FallToFail || now - _startedAt > Longest)
            {
                Fail(now);
                return false;
            }
            _rate = Math.Max(0, paddingRate);
            return true;
        }
    }

    /// <summary>The next layer fits: the subscriber switches up, and a probe for the layer after may follow soon.</summary>
    public void Succeed(TimeSpan now)
    {
        lock (_gate)
        {
            if (!_active) return;
            _active = false;
            _notBefore = now + TimeSpan.FromSeconds(2);
        }
    }

    /// <summary>No probe is wanted now (the subscriber is at the best layer, or going down).</summary>
    public void Stop(TimeSpan now)
    {
        lock (_gate) if (_active) Fail(now);
    }

    private void Fail(TimeSpan now)
    {
        _active = false;
        _rate = 0;
        _notBefore = now + Backoff;
    }

    /// <summary>Padding bytes due since the last call while a probe runs.</summary>
    public int PaddingDue(TimeSpan now)
    {
        lock (_gate)
        {
            if (!_active) return 0;
            _credit += _rate / 8.0 * (now - _lastPadding).TotalSeconds;
            _lastPadding = now;
            var due = (int)Math.Min(_credit, 16 * 1024);
            _credit -= due;
            return due;
        }
    }
}
