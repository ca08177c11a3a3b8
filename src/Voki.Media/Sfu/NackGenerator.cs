namespace Voki.Media.Sfu;

/// <summary>What a received packet was, as far as loss recovery goes.</summary>
public enum PacketArrival
{
    /// <summary>Beyond the highest packet so far (possibly after a gap).</summary>
    New,
    /// <summary>A missing packet that arrived before we asked for it: reordered.</summary>
    Reordered,
    /// <summary>A missing packet that arrived after we asked for it: recovered by retransmission.</summary>
    Recovered,
    /// <summary>Already received, or given up on: nothing to do with it.</summary>
    Duplicate,
}

/// <summary>Tuning of a <see cref="NackGenerator"/>.</summary>
public sealed record NackOptions
{
    /// <summary>Missing packets tracked at once; a larger gap is a restart, not loss worth asking for.</summary>
    public int MaxTracked { get; init; } = 256;
    /// <summary>Requests per packet before giving up on it.</summary>
    public int MaxTries { get; init; } = 10;
    /// <summary>A packet missing this long is no use to a live viewer any more.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>A repeated request waits this many round trips for the first to be answered.</summary>
    public double RetryRoundTrips { get; init; } = 1.25;
    public TimeSpan MinRetryInterval { get; init; } = TimeSpan.FromMilliseconds(20);
    public TimeSpan MaxRetryInterval { get; init; } = TimeSpan.FromMilliseconds(400);
}

/// <summary>
/// Decides which packets of one received stream to ask for again with generic NACKs (RFC 4585 §6.2.1; the
/// timing is the receiver's choice, §3.2): a gap in the extended sequence numbers marks packets missing, each is
/// requested on the next tick and again every round trip until it arrives, it has been asked for too often or it
/// is too old. State is bounded by <see cref="NackOptions.MaxTracked"/>. Not thread-safe: its owner locks.
/// </summary>
public sealed class NackGenerator(NackOptions? options = null)
{
    private struct Missing
    {
        public long Sequence;
        public TimeSpan DetectedAt, LastRequestAt;
        public int Tries;
    }

    private readonly NackOptions _options = options ?? new NackOptions();
    // Sorted by sequence: gaps are only ever found beyond the highest packet.
    private readonly List<Missing> _missing = [];
    private readonly List<long> _abandoned = [];
    private long _highest = -1;

    /// <summary>
    /// How far behind the newest packet a request is still worth making. A plain retransmission (no RTX) reuses the
    /// original sequence number, and SRTP refuses it once it falls outside the receiver's replay window (RFC 3711
    /// §3.3.2), so for such a publisher there is no point asking beyond it.
    /// </summary>
    public long MaxDistance { get; set; } = long.MaxValue;

    public int MissingCount => _missing.Count;
    public long Highest => _highest;

    /// <summary>Notes a packet (its extended sequence number) and says what it was.</summary>
    public PacketArrival OnPacket(long sequence, TimeSpan now)
    {
        if (_highest < 0 || sequence == _highest + 1) { _highest = sequence; return PacketArrival.New; }
        if (sequence > _highest)
        {
            var gap = sequence - _highest - 1;
            if (gap > _options.MaxTracked)
            {
                // A jump this large is a restarted sender or an outage: start over from here.
                foreach (var missing in _missing) _abandoned.Add(missing.Sequence);
                _missing.Clear();
            }
            else
            {
                for (var lost = _highest + 1; lost < sequence; lost++)
                    _missing.Add(new Missing { Sequence = lost, DetectedAt = now });
                var excess = _missing.Count - _options.MaxTracked;
                if (excess > 0)
                {
                    for (var i = 0; i < excess; i++) _abandoned.Add(_missing[i].Sequence);
                    _missing.RemoveRange(0, excess);
                }
            }
            _highest = sequence;
            return PacketArrival.New;
        }
        var index = IndexOf(sequence);
        if (index < 0) return PacketArrival.Duplicate;
        var tries = _missing[index].Tries;
        _missing.RemoveAt(index);
        return tries > 0 ? PacketArrival.Recovered : PacketArrival.Reordered;
    }

    /// <summary>
    /// Adds to <paramref name="due"/> the packets to request now, and to <paramref name="abandoned"/> those given up
    /// on since the last tick (their frames cannot be completed: a keyframe is the remedy).
    /// </summary>
    public void Tick(TimeSpan now, TimeSpan roundTrip, List<long> due, List<long> abandoned)
    {
        abandoned.AddRange(_abandoned);
        _abandoned.Clear();
        if (_missing.Count == 0) return;
        var retry = TimeSpan.FromTicks(Math.Clamp((long)(roundTrip.Ticks * _options.RetryRoundTrips),
            _options.MinRetryInterval.Ticks, _options.MaxRetryInterval.Ticks));
        var kept = 0;
        for (var i = 0; i < _missing.Count; i++)
        {
            var missing = _missing[i];
            var answerDue = now - missing.LastRequestAt >= retry;
            if (now - missing.DetectedAt >= _options.MaxAge || (missing.Tries >= _options.MaxTries && answerDue)
                || _highest - missing.Sequence >= MaxDistance)
            {
                abandoned.Add(missing.Sequence);
                continue;
            }
            if (missing.Tries == 0 || (answerDue && missing.Tries < _options.MaxTries))
            {
                missing.Tries++;
                missing.LastRequestAt = now;
                due.Add(missing.Sequence);
            }
            _missing[kept++] = missing;
        }
        _missing.RemoveRange(kept, _missing.Count - kept);
    }

    private int IndexOf(long sequence)
    {
        int low = 0, high = _missing.Count - 1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            var value = _missing[mid].Sequence;
            if (value == sequence) return mid;
            if (value < sequence) low = mid + 1; else high = mid - 1;
        }
        return -1;
    }
}
