namespace Voki.Media.Sfu;

/// <summary>
/// Interarrival jitter of one received RTP stream (RFC 3550 §6.4.1, computed as in §A.8): the mean deviation of the
/// difference D in transit time of two packets, J += (|D| − J) / 16, in the stream's RTP timestamp units (what a
/// receiver report carries). Fed only the first packet of each RTP timestamp that arrives in order as first sent: a
/// video frame's packets share one timestamp and leave in a paced burst, and a retransmission's or a reordered packet's
/// lateness is the recovery's, not the path's (libwebrtc's receive statistics do the same). Thread-safe.
/// </summary>
public sealed class InterarrivalJitter(int clockRate)
{
    private readonly object _gate = new();
    private bool _started;
    private uint _lastTimestamp;
    private int _lastTransit;
    private double _jitter;

    public int ClockRate => clockRate;

    /// <summary>Notes a packet with RTP timestamp <paramref name="timestamp"/> that arrived at <paramref name="arrival"/> (any monotonic clock).</summary>
    public void OnPacket(uint timestamp, TimeSpan arrival)
    {
        // The arrival clock in timestamp units, modulo 2^32 like the timestamps, so transit differences survive both wraps.
        var arrivalUnits = unchecked((uint)(long)(arrival.Ticks / (double)TimeSpan.TicksPerSecond * clockRate));
        var transit = unchecked((int)(arrivalUnits - timestamp));
        lock (_gate)
        {
            if (_started)
            {
                var step = unchecked((int)(timestamp - _lastTimestamp));
                if (step <= 0) return; // the same frame again, or an older one
                var d = Math.Abs((long)unchecked(transit - _lastTransit));
                // Five seconds off is a sender that restarted its clock (or paused a stream), not a path's jitter.
                if (d < 5L * clockRate) _jitter += (d - _jitter) / 16;
            }
            _started = true;
            _lastTimestamp = timestamp;
            _lastTransit = transit;
        }
    }

    /// <summary>The estimate in RTP timestamp units, as the receiver report's jitter field carries it.</summary>
    public uint Units { get { lock (_gate) return (uint)Math.Min(uint.MaxValue, Math.Round(_jitter)); } }

    public TimeSpan Current { get { lock (_gate) return TimeSpan.FromSeconds(_jitter / clockRate); } }

    /// <summary>A reported jitter (timestamp units of a stream of <paramref name="rate"/> Hz) as time.</summary>
    public static TimeSpan ToTime(uint units, int rate) => TimeSpan.FromSeconds((double)units / rate);
}
