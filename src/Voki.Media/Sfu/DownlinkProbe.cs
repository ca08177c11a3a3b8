namespace Voki.Media.Sfu;

/// <summary>
/// Whether a subscriber's downlink carries the next simulcast layer up, found out before switching to it. A browser's
/// receive-side estimate (REMB) grows by at most about 8 % a second and never beyond about 1.5 times what it receives
/// (libwebrtc's AIMD rate control), so waiting for it to report room for the next layer takes many seconds after a
/// thin stretch. Two kinds of padding on the subscriber's RTX stream (which its estimator counts) find out sooner:
/// <list type="bullet">
/// <item>a steady fill up to just under its estimate, so the estimate is free to keep rising;</item>
/// <item>every few seconds a burst of <see cref="BurstLength"/> at the next layer's whole rate. Its estimator holds or
/// cuts its estimate while it sees the burst queue up (overuse), and keeps raising it while the link carries the burst;
/// a burst that the estimate rose through by <see cref="BurstGrowth"/>, without more NACKs than the link sent before it
/// (<see cref="NackAllowance"/>: a link that loses packets at random NACKs all the time, full or not), proves the layer
/// fits.</item>
/// </list>
/// A probe fails when the estimate falls well below its peak (the link is full) or after <see cref="Longest"/>; the
/// next is tried after <see cref="Backoff"/>. A failed burst waits twice as long as the last, up to
/// <see cref="LongestBurstBackoff"/>: on a link that really is thin each burst costs some queueing, and a link that
/// widens is still found within seconds.
/// </summary>
internal sealed class DownlinkProbe
{
    public static readonly TimeSpan Longest = TimeSpan.FromSeconds(20);
    public static readonly TimeSpan Backoff = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan BurstLength = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan FirstBurstBackoff = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan LongestBurstBackoff = TimeSpan.FromSeconds(4);
    /// <summary>An estimate this far below the probe's peak ends it: the padding filled the link.</summary>
    public const double FallToFail = 0.85;
    /// <summary>How much the estimate must rise over a burst for the burst to count as carried.</summary>
    public const double BurstGrowth = 1.03;
    /// <summary>A burst sends this much more than the next layer's measured rate: a layer's rate varies with its pictures.</summary>
    public const double BurstMargin = 1.05;
    /// <summary>
    /// No burst to a next layer beyond this many times the subscriber's estimate: the layer's rate is what its publisher
    /// sends, which a hostile one makes as large as it likes, and what a burst sends must stay tied to what the
    /// subscriber's own link reports; a link that far below the layer climbs with the steady fill first.
    /// </summary>
    public const double BurstReach = 2.5;

    private readonly object _gate = new();
    private TimeSpan _startedAt, _notBefore, _lastPadding, _burstStartedAt, _burstNotBefore, _burstBackoff = FirstBurstBackoff;
    private bool _active, _bursting;
    private long _rate, _peak, _burstFrom, _nacksAtStart, _nacksAtBurst;
    private double _credit, _baselineNacks;

    /// <summary>
    /// Starts a probe, or, while one runs, sets its padding and judges the estimate and any burst.
    /// </summary>
    /// <param name="estimate">The subscriber's share of its downlink for this track.</param>
    /// <param name="current">The bit/s of the layer it receives now.</param>
    /// <param name="next">The bit/s of the next layer up.</param>
    /// <param name="nacks">How many NACKs the subscriber has sent so far.</param>
    public ProbeOutcome Run(long estimate, long current, long next, long nacks, TimeSpan now)
    {
        lock (_gate)
        {
            if (!_active)
            {
                if (now < _notBefore) return ProbeOutcome.Waiting;
                (_active, _startedAt, _lastPadding, _credit, _peak, _nacksAtStart) = (true, now, now, 0, estimate, nacks);
                _burstNotBefore = now + _burstBackoff;
            }
            _peak = Math.Max(_peak, estimate);
            if (estimate < _peak * FallToFail || now - _startedAt > Longest)
            {
                if (_bursting) FailBurst(now);
                Fail(now);
                return ProbeOutcome.Failed;
            }
            if (_bursting)
            {
                if (!NackAllowance.Within(nacks - _nacksAtBurst, _baselineNacks, now - _burstStartedAt)) FailBurst(now);
                else if (now - _burstStartedAt >= BurstLength)
                {
                    if (estimate >= _burstFrom * BurstGrowth) return Prove(now);
                    FailBurst(now);
                }
            }
            else if (now >= _burstNotBefore && next <= estimate * BurstReach)
            {
                (_bursting, _burstStartedAt, _burstFrom, _nacksAtBurst) = (true, now, estimate, nacks);
                _baselineNacks = (nacks - _nacksAtStart) / Math.Max(1, (now - _startedAt).TotalSeconds);
            }
            var fill = _bursting ? (long)(next * BurstMargin) : Math.Min(next, (long)(estimate * 0.95));
            _rate = Math.Max(0, fill - current);
            return ProbeOutcome.Running;
        }
    }

    /// <summary>The next layer fits: the subscriber switches up, and a probe for the layer after may follow soon.</summary>
    public void Succeed(TimeSpan now)
    {
        lock (_gate) if (_active) Prove(now);
    }

    /// <summary>No probe is wanted now (the subscriber is at the best layer, or going down).</summary>
    public void Stop(TimeSpan now)
    {
        lock (_gate)
        {
            if (_bursting) FailBurst(now);
            if (_active) Fail(now);
        }
    }

    private ProbeOutcome Prove(TimeSpan now)
    {
        (_active, _bursting, _rate) = (false, false, 0);
        _notBefore = now + Backoff;
        _burstBackoff = FirstBurstBackoff;
        return ProbeOutcome.Proven;
    }

    private void FailBurst(TimeSpan now)
    {
        _bursting = false;
        _burstNotBefore = now + _burstBackoff;
        _burstBackoff = _burstBackoff * 2 < LongestBurstBackoff ? _burstBackoff * 2 : LongestBurstBackoff;
    }

    private void Fail(TimeSpan now)
    {
        (_active, _bursting, _rate) = (false, false, 0);
        _notBefore = now + Backoff;
    }

    /// <summary>The padding rate of the running probe in bit/s, 0 when none runs.</summary>
    public long Rate { get { lock (_gate) return _active ? _rate : 0; } }

    /// <summary>NACKs a second the subscriber sent before the last burst, on the layer it had: what its link loses anyway.</summary>
    public double BaselineNacks { get { lock (_gate) return _baselineNacks; } }

    /// <summary>Whether a burst at the next layer's rate is under way.</summary>
    public bool Bursting { get { lock (_gate) return _bursting; } }

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

internal enum ProbeOutcome { Waiting, Running, Failed, Proven }

/// <summary>
/// Whether a subscriber NACKed no more over a stretch than its link loses anyway: twice its rate before, and two NACKs
/// more. A link that is full loses packets in runs once its queue overflows; one that loses at random keeps its rate.
/// </summary>
internal static class NackAllowance
{
    public static bool Within(long nacks, double baselinePerSecond, TimeSpan over) => nacks <= 2 * baselinePerSecond * over.TotalSeconds + 2;
}
