using Voki.Media.Recording;
using Voki.Media.Rtp;

namespace Voki.Media.Sfu;

/// <summary>
/// One published track as the SFU receives it (livekit's receiver): extended sequence numbers, the NACK generator
/// that asks the publisher again for what its uplink lost (video), and, while the call is recorded, the receive
/// buffer that hands the recorder its packets in order, waiting for retransmissions. Live forwarding never waits
/// here: <see cref="Receive"/> only says whether a packet is worth forwarding. The receive thread calls
/// <see cref="Receive"/>, the NACK timer <see cref="Tick"/>; one lock serialises them.
/// </summary>
public sealed class TrackReceiver
{
    public const int VideoWindow = 512, AudioWindow = 64;
    /// <summary>Audio is not retransmitted: a missing packet is only waited for in case it was reordered.</summary>
    public static readonly TimeSpan AudioReorderWait = TimeSpan.FromMilliseconds(100);

    private readonly object _gate = new();
    private readonly bool _video;
    private readonly NackOptions _nackOptions;
    private readonly SequenceUnwrapper _sequences = new();
    private readonly NackGenerator? _nacks;
    private readonly List<long> _due = [], _abandoned = [];
    private ReceiveBuffer? _buffer;
    private TrackRecorder? _recorder;
    private bool _recorderWantsKeyframe;

    public TrackReceiver(bool video, NackOptions? nackOptions = null)
    {
        _video = video;
        _nackOptions = nackOptions ?? new NackOptions();
        if (video) _nacks = new NackGenerator(_nackOptions) { MaxDistance = PlainRetransmissionReach };
    }

    /// <summary>
    /// Our SRTP replay window (RFC 3711 §3.3.2): a plain retransmission further behind the newest packet than this is
    /// refused on arrival.
    /// </summary>
    public const int PlainRetransmissionReach = 64;

    public TrackRecorder? Recorder { get { lock (_gate) return _recorder; } }

    /// <summary>Whether the publisher resends on an RTX stream (RFC 4588), which SRTP's replay window does not limit.</summary>
    public void RetransmitsWithRtx(bool rtx)
    {
        lock (_gate) { if (_nacks is not null) _nacks.MaxDistance = rtx ? long.MaxValue : PlainRetransmissionReach; }
    }

    /// <summary>Packets waiting in the receive buffer for one before them.</summary>
    public int Held { get { lock (_gate) return _buffer?.Held ?? 0; } }

    public int Missing { get { lock (_gate) return _nacks?.MissingCount ?? 0; } }

    /// <summary>
    /// Notes a packet of the original stream (an RTX packet already unwrapped) and says what it was;
    /// <paramref name="wantsKeyframe"/> when the recorder cannot go on without a keyframe.
    /// </summary>
    public PacketArrival Receive(ReadOnlySpan<byte> packet, TimeSpan now, out bool wantsKeyframe)
    {
        lock (_gate)
        {
            var sequence = _sequences.Unwrap(RtpHeader.Sequence(packet));
            var arrival = _nacks?.OnPacket(sequence, now) ?? PacketArrival.New;
            if (arrival != PacketArrival.Duplicate) _recorder?.Arrived(RtpHeader.Timestamp(packet), Recording.TimelineEvent.Now());
            if (arrival != PacketArrival.Duplicate) _buffer?.Push(sequence, packet, now);
            wantsKeyframe = _recorderWantsKeyframe;
            _recorderWantsKeyframe = false;
            return arrival;
        }
    }

    /// <summary>
    /// Adds to <paramref name="due"/> the sequence numbers to ask the publisher for now; releases to the recorder what
    /// stopped waiting. Returns how many packets were given up on (their frames are lost: a keyframe mends them).
    /// </summary>
    public int Tick(TimeSpan now, TimeSpan roundTrip, List<ushort> due)
    {
        lock (_gate)
        {
            var abandoned = 0;
            if (_nacks is not null)
            {
                _due.Clear();
                _abandoned.Clear();
                _nacks.Tick(now, roundTrip, _due, _abandoned);
                foreach (var sequence in _due) due.Add((ushort)sequence);
                foreach (var sequence in _abandoned) _buffer?.Lost(sequence, now);
                abandoned = _abandoned.Count;
            }
            _buffer?.Expire(now);
            return abandoned;
        }
    }

    /// <summary>True once after the recorder found it cannot continue without a keyframe.</summary>
    public bool TakeKeyframeWish()
    {
        lock (_gate)
        {
            var wish = _recorderWantsKeyframe;
            _recorderWantsKeyframe = false;
            return wish;
        }
    }

    /// <summary>
    /// Starts feeding <paramref name="recorder"/> (null: stops, after handing the previous recorder everything held).
    /// The buffer exists only while a recorder does.
    /// </summary>
    public void Record(TrackRecorder? recorder)
    {
        lock (_gate)
        {
            if (_buffer is not null)
            {
                _buffer.Flush();
                _buffer.Dispose();
                _buffer = null;
            }
            _recorder = recorder;
            if (recorder is null) return;
            // Video waits for its retransmissions a little longer than the NACK generator tries for them.
            _buffer = _video
                ? new ReceiveBuffer(VideoWindow, _nackOptions.MaxAge + TimeSpan.FromMilliseconds(100), ToRecorder)
                : new ReceiveBuffer(AudioWindow, AudioReorderWait, ToRecorder);
        }
    }

    private void ToRecorder(ReadOnlySpan<byte> packet, long sequence)
    {
        if (_recorder is { } recorder && recorder.Write(packet)) _recorderWantsKeyframe = true;
    }
}
