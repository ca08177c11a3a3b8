namespace Voki.Media.Sfu;

/// <summary>
/// The packets of one received RTP stream that did not arrive (RFC 3550 §6.4.1, computed as in §A.3): expected is the
/// extended highest sequence number less the first, plus one; lost is expected less received, in all and since the
/// previous <see cref="TakeInterval"/> (the fraction a receiver report carries). Takes extended sequence numbers
/// (<see cref="SequenceUnwrapper"/>, §A.1), so a wrap or a late packet from before one counts right; a packet seen twice
/// within the last <see cref="Window"/> numbers counts once (§A.3 counts duplicates, which can make loss negative and
/// would hide real loss behind a sender's duplicates). Thread-safe: the receive thread counts, the report timer takes.
/// </summary>
public sealed class ReceptionLoss
{
    /// <summary>How far behind the highest number a packet is still checked for being a duplicate.</summary>
    public const int Window = 1024;
    private readonly object _gate = new();
    private readonly ulong[] _seen = new ulong[Window / 64];
    private long _first = -1, _highest = -1, _received;
    private long _expectedPrior, _receivedPrior;

    /// <summary>Counts a packet; false when it was a duplicate (not counted).</summary>
    public bool OnPacket(long extendedSequence)
    {
        lock (_gate)
        {
            if (_first < 0)
            {
                _first = _highest = extendedSequence;
                Mark(extendedSequence);
                _received = 1;
                return true;
            }
            if (extendedSequence > _highest)
            {
                // Numbers skipped over are unseen: clear their bits (at most the whole window).
                for (var n = Math.Max(_highest + 1, extendedSequence - Window + 1); n < extendedSequence; n++) Clear(n);
                _highest = extendedSequence;
            }
            else if (_highest - extendedSequence < Window)
            {
                if (extendedSequence >= _first && Seen(extendedSequence)) return false;
            }
            // Older than the window: late, and counted like any late packet (it may be a duplicate nobody can tell any more).
            if (extendedSequence < _first) _first = extendedSequence;
            if (_highest - extendedSequence < Window) Mark(extendedSequence);
            _received++;
            return true;
        }
    }

    /// <summary>Packets expected from the first to the highest sequence number so far.</summary>
    public long Expected { get { lock (_gate) return _first < 0 ? 0 : _highest - _first + 1; } }
    public long Received { get { lock (_gate) return _received; } }
    /// <summary>Cumulative packets lost (expected less received); never negative, as duplicates are not counted.</summary>
    public long Lost { get { lock (_gate) return _first < 0 ? 0 : Math.Max(0, _highest - _first + 1 - _received); } }

    /// <summary>The extended highest sequence number received as a receiver report carries it: cycles in the high 16 bits.</summary>
    public uint ExtendedHighest { get { lock (_gate) return _highest < 0 ? 0 : unchecked((uint)(_highest - SequenceUnwrapper.FirstCycle)); } }

    /// <summary>What was expected and lost since the previous call (§A.3): the interval of one receiver report.</summary>
    public LossInterval TakeInterval()
    {
        lock (_gate)
        {
            var expected = _first < 0 ? 0 : _highest - _first + 1;
            var interval = new LossInterval(expected - _expectedPrior, (expected - _expectedPrior) - (_received - _receivedPrior));
            _expectedPrior = expected;
            _receivedPrior = _received;
            return interval;
        }
    }

    private bool Seen(long n) => (_seen[(n / 64) % _seen.Length] & (1UL << (int)(n % 64))) != 0;
    private void Mark(long n) => _seen[(n / 64) % _seen.Length] |= 1UL << (int)(n % 64);
    private void Clear(long n) => _seen[(n / 64) % _seen.Length] &= ~(1UL << (int)(n % 64));
}

/// <summary>
/// Packets expected and lost over one reporting interval (RFC 3550 §A.3). Lost may be negative within an interval: a
/// packet counted lost in the previous one arrived late in this one.
/// </summary>
public readonly record struct LossInterval(long Expected, long Lost)
{
    /// <summary>The fraction lost as §6.4.1's 8-bit fixed point (lost × 256 / expected), 0 when nothing was lost.</summary>
    public byte FractionLost => Expected <= 0 || Lost <= 0 ? (byte)0 : (byte)Math.Min(255, (Lost << 8) / Expected);
    public double Fraction => Expected <= 0 || Lost <= 0 ? 0 : Math.Min(1, (double)Lost / Expected);
}
