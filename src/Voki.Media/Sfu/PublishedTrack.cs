using Voki.Media.Rtp;

namespace Voki.Media.Sfu;

/// <summary>A track one participant sends us: its SSRC, codec, subscribers, its receiver and the stats our reports need.</summary>
public sealed class PublishedTrack(PeerConnection publisher, string kind, string mid, uint ssrc, int payloadType)
{
    public PeerConnection Publisher { get; } = publisher;
    public string Kind { get; } = kind;
    public string Mid { get; } = mid;
    /// <summary>0 for a simulcast layer until its first packet names it (<see cref="SimulcastTrack"/>).</summary>
    public uint Ssrc { get; internal set; } = ssrc;
    public int PayloadType { get; } = payloadType;
    public string TrackId { get; } = $"{publisher.ParticipantId}-{kind}";

    /// <summary>The simulcast section this stream is a layer of (<see cref="Layer"/>, <see cref="Rid"/>); null for a single stream.</summary>
    public SimulcastTrack? Simulcast { get; init; }
    public int Layer { get; init; }
    public string? Rid { get; init; }
    /// <summary>
    /// Whether the call's capture records this stream: a single stream always; of simulcast, the top layer and the one
    /// below it, which the composer shows where the top one pauses (a sender whose uplink cannot carry it stops it).
    /// </summary>
    internal bool Recorded => Simulcast is not { } simulcast || Layer >= simulcast.Layers.Length - 2;

    /// <summary>What the stream carries now: what its simulcast layer costs a subscriber.</summary>
    public BitrateMeter Bitrate { get; } = new();

    private volatile ForwardedTrack[] _subscribers = [];
    /// <summary>Replaced, never mutated, so the receive loop reads it without a lock; a simulcast section's layers share theirs.</summary>
    public ForwardedTrack[] Subscribers
    {
        get => Simulcast is { } simulcast ? simulcast.Subscribers : _subscribers;
        set { if (Simulcast is { } simulcast) simulcast.Subscribers = value; else _subscribers = value; }
    }

    // Reception statistics (RFC 3550 §6.4.1) for our receiver reports and the call's quality: every packet received,
    // retransmissions included, as the report's loss counts them; the packets that came the first time they were sent,
    // whose loss is the uplink's own; the jitter of those that came in order.
    private readonly SequenceUnwrapper _sequences = new();
    internal readonly ReceptionLoss Loss = new(), FirstArrivals = new();
    internal readonly InterarrivalJitter Jitter = new(kind == "audio" ? 48000 : 90000);
    /// <summary>The previous report interval's loss (RFC 3550 §A.3), for the call's quality.</summary>
    internal LossInterval LastInterval, LastFirstArrivalInterval;
    // Whether frames decode since the last packet given up on: not until a keyframe has come whole (receive thread).
    private volatile bool _undecodable, _keyframeSinceLoss;
    private readonly VideoFreezes _freezes = new();
    /// <summary>The camera's freezes; a simulcast section's layers share theirs.</summary>
    public VideoFreezes Freezes => Simulcast?.Freezes ?? _freezes;

    // The publisher's last sender report: maps its RTP clock to wall-clock time for our own SRs.
    internal ulong LastSrNtp;
    internal uint LastSrRtp;
    internal DateTime LastSrAt;

    /// <summary>Sequence tracking, loss recovery and the recorder's receive buffer.</summary>
    public TrackReceiver Receiver { get; } = new(kind == "video");

    /// <summary>The publisher's retransmission stream (RFC 4588), when it negotiated one.</summary>
    public uint? RtxSsrc { get; internal set; }
    public int? RtxPayloadType { get; internal set; }

    /// <summary>Set while the call is captured for its recording; fed in sequence order through <see cref="Receiver"/>.</summary>
    internal Recording.TrackRecorder? Recorder
    {
        get => Receiver.Recorder;
        set => Receiver.Record(value);
    }

    internal DateTime LastKeyframeRequest;
    internal volatile bool KeyframeWanted;

    public int ClockRate => Kind == "audio" ? 48000 : 90000;

    /// <summary>
    /// Counts a packet that was not a duplicate (an RTX packet unwrapped); <paramref name="arrival"/> says whether it came
    /// as first sent (new or reordered) or was recovered, <paramref name="missing"/> how many packets before it are still missing.
    /// </summary>
    internal void Count(ReadOnlySpan<byte> packet, int headerLength, PacketArrival arrival, bool viaRtx, int missing, TimeSpan now)
    {
        var sequence = _sequences.Unwrap(RtpHeader.Sequence(packet));
        Loss.OnPacket(sequence);
        var firstTime = !viaRtx && arrival is PacketArrival.New or PacketArrival.Reordered;
        if (firstTime) FirstArrivals.OnPacket(sequence);
        if (firstTime && arrival == PacketArrival.New) Jitter.OnPacket(RtpHeader.Timestamp(packet), now);
        if (Kind != "video") return;
        if (Vp8Payload.IsKeyframeStart(packet[headerLength..])) _keyframeSinceLoss = true;
        // A frame is whole once its last packet (marker) is in hand with nothing missing before it, or when the packet
        // that was missing arrives and completes the ones held behind it.
        var complete = missing == 0 && (RtpHeader.Marker(packet) || arrival is PacketArrival.Recovered or PacketArrival.Reordered);
        if (complete && _undecodable && _keyframeSinceLoss) _undecodable = false;
        Freezes.OnPacket(now, complete && !_undecodable);
    }

    /// <summary>A packet of this stream was given up on: its frame, and the frames that refer to it, do not decode until a keyframe.</summary>
    internal void GaveUp()
    {
        _undecodable = true;
        _keyframeSinceLoss = false;
    }
}
