using Voki.Media.Rtp;

namespace Voki.Media.Sfu;

/// <summary>
/// Our side of transport-wide congestion control towards one publisher
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2–3): records when each transport-wide sequence number
/// arrived, over every SSRC of its transport, and turns what arrived since the last feedback into the next one, so the
/// publisher's own estimator sees its uplink's delay and loss. A packet that arrives after its number was reported
/// lost stays lost, as in libwebrtc's receiver; a jump beyond the window starts afresh.
/// </summary>
public sealed class TransportFeedbackGenerator
{
    private const int Window = 4096;
    private readonly object _gate = new();
    private readonly SequenceUnwrapper _unwrapper = new();
    private readonly TimeSpan[] _arrivals = new TimeSpan[Window];
    private readonly long[] _sequences = new long[Window];
    private readonly TimeSpan?[] _report = new TimeSpan?[Window];
    private long _nextToReport = -1;
    private byte _feedbackCount;

    public void OnPacket(ushort transportSequence, TimeSpan arrival)
    {
        lock (_gate)
        {
            var sequence = _unwrapper.Unwrap(transportSequence);
            if (_nextToReport < 0 || sequence - _nextToReport >= Window) _nextToReport = sequence;
            if (sequence < _nextToReport) return;
            var slot = (int)(sequence % Window);
            _sequences[slot] = sequence;
            _arrivals[slot] = arrival;
        }
    }

    /// <summary>Writes the feedback for what arrived since the last one into <paramref name="buffer"/>; 0 when there is nothing new.</summary>
    public int Next(Span<byte> buffer, int maxLength, uint senderSsrc, uint mediaSsrc)
    {
        lock (_gate)
        {
            var highest = _unwrapper.Highest;
            if (_nextToReport < 0 || highest < _nextToReport) return 0;
            var count = (int)Math.Min(highest - _nextToReport + 1, Window);
            for (var i = 0; i < count; i++)
            {
                var sequence = _nextToReport + i;
                var slot = (int)(sequence % Window);
                _report[i] = _sequences[slot] == sequence ? _arrivals[slot] : null;
            }
            var length = TransportFeedback.Write(buffer, maxLength, senderSsrc, mediaSsrc, (ushort)_nextToReport,
                _report.AsSpan(0, count), _feedbackCount, out var reported);
            if (reported == 0) return 0;
            _feedbackCount++;
            _nextToReport += reported;
            return length;
        }
    }
}
