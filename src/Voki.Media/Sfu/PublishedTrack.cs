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

    // Receive statistics (RFC 3550 §6.4.1, A.3), touched only by the receive loop.
    internal bool Started;
    internal ushort BaseSequence, HighestSequence;
    internal uint Cycles;
    internal long Received;

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

    internal void Count(ReadOnlySpan<byte> packet)
    {
        var sequence = RtpHeader.Sequence(packet);
        Received++;
        if (!Started) { Started = true; BaseSequence = HighestSequence = sequence; return; }
        var delta = (ushort)(sequence - HighestSequence);
        if (delta is > 0 and < 0x8000)
        {
            if (sequence < HighestSequence) Cycles += 0x10000;
            HighestSequence = sequence;
        }
    }

    internal uint ExtendedHighest => Cycles | HighestSequence;
    internal long Expected => ExtendedHighest - BaseSequence + 1;
}
