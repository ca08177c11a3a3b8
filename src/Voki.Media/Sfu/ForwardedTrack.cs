using Voki.Media.Rtp;

namespace Voki.Media.Sfu;

/// <summary>
/// One published track as one subscriber receives it: our own SSRC, sequence and timestamp space, the
/// subscriber's payload type, and recent packets kept for NACK retransmission (RFC 4585 §6.2.1), which go out
/// on our own RTX stream (RFC 4588: its SSRC, payload type and sequence numbers) when the subscriber accepted one.
/// Recovered packets from the publisher pass through <see cref="Rewrite"/> too, so they can be retransmitted.
/// A retransmission is refused when the same packet went again within the subscriber's round-trip time (the first
/// cannot have arrived yet), or when the subscriber's <see cref="RetransmissionBudget"/> for the track is spent.
/// </summary>
public sealed class ForwardedTrack
{
    private const int CacheSize = 512;

    public PeerConnection Subscriber { get; }
    public PublishedTrack Source { get; }
    public uint LocalSsrc { get; }
    public string Mid { get; }
    public byte PayloadType { get; set; }
    /// <summary>Set once the subscriber's answer includes this track's m= section.</summary>
    public volatile bool Active;
    /// <summary>Our retransmission SSRC, announced with ssrc-group FID in our offers.</summary>
    public uint RtxSsrc { get; }
    /// <summary>The subscriber's RTX payload type for our codec, offered when it has one.</summary>
    public byte? RtxPayloadType { get; set; }
    /// <summary>Set when the subscriber's answer kept our RTX payload type: retransmissions then go out as RTX.</summary>
    public volatile bool RtxAccepted;
    /// <summary>The subscriber's id for abs-send-time when its answer kept it (0: none): its estimator then reports REMB.</summary>
    public volatile int AbsSendTimeId;
    private ushort _rtxSequence;

    private readonly RtpMunger _munger = new();
    private readonly byte[][]? _cache;
    private readonly int[]? _cacheLengths;
    private readonly ushort[]? _cacheSequences;
    // When each cached packet was last retransmitted (MediaNode.Now ticks), 0 when never.
    private readonly long[]? _cacheResentAt;
    private readonly RetransmissionBudget _budget;
    internal uint PacketsSent, OctetsSent;
    /// <summary>The subscriber's latest report block about this stream (its loss and jitter, RFC 3550 §6.4.1).</summary>
    internal volatile ReportedReception? Reported;
    /// <summary>
    /// What we sent in our sequence space, counted as a receiver counts it (RFC 3550 §A.3): its losses are the gaps we
    /// forwarded (the publisher's uplink lost them), which the subscriber's reports count lost too.
    /// </summary>
    internal readonly ReceptionLoss Sent = new();
    private readonly SequenceUnwrapper _sentSequences = new();
    /// <summary>Keyframe requests (PLI, FIR) the subscriber sent about this stream: its decoder lost the picture.</summary>
    internal long KeyframeRequestsReceived;

    public ForwardedTrack(PeerConnection subscriber, PublishedTrack source, string mid, byte payloadType)
    {
        Subscriber = subscriber;
        Source = source;
        Mid = mid;
        PayloadType = payloadType;
        LocalSsrc = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
        RtxSsrc = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
        _rtxSequence = (ushort)Random.Shared.Next(0, ushort.MaxValue);
        if (source.Kind == "video")
        {
            _cache = new byte[CacheSize][];
            _cacheLengths = new int[CacheSize];
            _cacheSequences = new ushort[CacheSize];
            _cacheResentAt = new long[CacheSize];
        }
        var options = subscriber.Session.Node.Options;
        _budget = new RetransmissionBudget(options.RetransmissionShare, options.RetransmissionFloorBytesPerSecond, options.RetransmissionBurstBytes);
    }

    public uint TranslateTimestamp(uint sourceTimestamp) => _munger.TranslateTimestamp(sourceTimestamp);

    /// <summary>The publisher's simulcast section this track forwards a layer of; null for a single stream.</summary>
    public SimulcastTrack? Simulcast => Source.Simulcast;
    /// <summary>The simulcast layer forwarded now (−1 before the first keyframe of any) and the one the subscriber should get.</summary>
    public volatile int CurrentLayer = -1, TargetLayer;
    /// <summary>The stream whose packets go out now: the source itself, or its current simulcast layer (null before one).</summary>
    public PublishedTrack? Current => Simulcast is { } simulcast ? CurrentLayer is var layer and >= 0 ? simulcast.Layers[layer] : null : Source;
    /// <summary>The stream a keyframe request for this track goes to: the simulcast layer the subscriber should get.</summary>
    public PublishedTrack KeyframeSource => Simulcast is { } simulcast ? simulcast.Layers[TargetLayer] : Source;
    /// <summary>Layer selection state of <see cref="MediaNode"/>: a probe of the subscriber's downlink, when it may try one again.</summary>
    internal readonly DownlinkProbe Probe = new();
    /// <summary>Since when the estimate has wanted a lower layer without the subscriber losing packets (TimeSpan.Zero: it does not).</summary>
    internal TimeSpan LowerWantedSince;
    /// <summary>The layer a probe proved, held while the subscriber's estimate catches up; null when none is.</summary>
    internal ProvenLayer? Proven;

    /// <summary>
    /// Whether a packet of <paramref name="stream"/> goes to this subscriber: always for a single stream; for simulcast,
    /// the current layer's (from the keyframe it was switched at), and the target layer's from its next keyframe on,
    /// which makes it the current one. Only a keyframe start that arrives in order switches: one that comes late (recovered
    /// from the publisher, or reordered) arrives after the rest of its picture, which this subscriber was not sent, so it
    /// would get a keyframe it cannot decode; the switch waits for the next keyframe, which the allocation keeps asking for.
    /// </summary>
    /// <param name="inOrder">Whether the packet is the newest of its stream so far (<see cref="PacketArrival.New"/>).</param>
    internal bool Admit(PublishedTrack stream, ReadOnlySpan<byte> packet, int headerLength, bool inOrder)
    {
        if (stream.Simulcast is null) return true;
        var sequence = RtpHeader.Sequence(packet);
        if (stream.Layer == CurrentLayer) return !_munger.BeforeSwitch(sequence);
        if (stream.Layer != TargetLayer || !inOrder || !Vp8Payload.IsKeyframeStart(packet[headerLength..])) return false;
        var timestamp = RtpHeader.Timestamp(packet);
        var continued = Current is { } previous && _munger.Started ? ContinuedTimestamp(previous, stream, timestamp) : TranslateTimestamp(timestamp);
        _munger.Rebase(sequence, timestamp, continued, Vp8Payload.ReadIds(packet[headerLength..]));
        CurrentLayer = stream.Layer;
        Interlocked.Increment(ref Subscriber.Session.Node.Counters.LayerSwitches);
        return true;
    }

    /// <summary>
    /// The subscriber's timestamp for the new layer's <paramref name="timestamp"/>: both layers' sender reports put it on the
    /// publisher's capture clock, carried into the old layer's timestamps (RFC 3550 §6.4.1). Without both reports, or
    /// when they disagree with how far the stream has gone, one frame interval on from the last timestamp sent.
    /// </summary>
    private uint ContinuedTimestamp(PublishedTrack previous, PublishedTrack next, uint timestamp)
    {
        var fallback = unchecked(_munger.LastTimestamp + 3000);
        if (previous.LastSrAt == default || next.LastSrAt == default) return fallback;
        var seconds = NtpSeconds(next.LastSrNtp) + (int)(timestamp - next.LastSrRtp) / 90000.0 - NtpSeconds(previous.LastSrNtp);
        var inPrevious = unchecked(previous.LastSrRtp + (uint)(long)Math.Round(seconds * 90000));
        var continued = TranslateTimestamp(inPrevious);
        var step = (int)(continued - _munger.LastTimestamp);
        return step is > 0 and < 90000 ? continued : fallback;
    }

    private static double NtpSeconds(ulong ntp) => (ntp >> 32) + (ntp & 0xFFFFFFFF) / 4294967296.0;

    /// <summary>Rewrites the packet into <paramref name="destination"/> and remembers it for retransmission; returns its length.</summary>
    internal int Rewrite(ReadOnlySpan<byte> packet, int headerLength, Span<byte> destination)
    {
        var sequence = _munger.TranslateSequence(RtpHeader.Sequence(packet));
        var timestamp = TranslateTimestamp(RtpHeader.Timestamp(packet));
        var length = RtpHeader.WriteForwarded(packet, headerLength, destination, PayloadType, sequence,
            timestamp, LocalSsrc, AbsSendTimeId, MediaNode.Now);
        var ids = Vp8PictureIds.None;
        if (Simulcast is not null)
        {
            var payload = destination[(length - (packet.Length - headerLength))..length];
            ids = Vp8Payload.ReadIds(payload);
            if (ids != Vp8PictureIds.None) Vp8Payload.WriteIds(payload, ids = _munger.TranslateIds(ids));
        }
        _munger.Sent(sequence, timestamp, ids);
        Sent.OnPacket(_sentSequences.Unwrap(sequence));
        if (_cache is not null)
        {
            var slot = sequence % CacheSize;
            var entry = _cache[slot] ??= new byte[1500];
            if (length <= entry.Length)
            {
                destination[..length].CopyTo(entry);
                _cacheLengths![slot] = length;
                _cacheSequences![slot] = sequence;
                _cacheResentAt![slot] = 0;
            }
            _budget.Earn(length);
        }
        PacketsSent++;
        OctetsSent += (uint)(length - RtpHeader.FixedLength);
        return length;
    }

    /// <summary>
    /// Writes the retransmission of our packet <paramref name="sequence"/> into <paramref name="destination"/>: as RTX
    /// when the subscriber accepted it, else as it was, unless it is refused. <paramref name="length"/> is 0 unless sent.
    /// </summary>
    internal RetransmissionOutcome TryRetransmit(ushort sequence, TimeSpan now, TimeSpan roundTrip, Span<byte> destination, out int length, out bool asRtx)
    {
        length = 0;
        asRtx = false;
        var cached = Cached(sequence);
        if (cached.IsEmpty) return RetransmissionOutcome.NotCached;
        var slot = sequence % CacheSize;
        var resentAt = _cacheResentAt![slot];
        if (resentAt != 0 && now.Ticks - resentAt < roundTrip.Ticks) return RetransmissionOutcome.WithinRoundTrip;
        if (!_budget.TrySpend(cached.Length, now)) return RetransmissionOutcome.BudgetExhausted;
        _cacheResentAt[slot] = now.Ticks;
        if (RtxAccepted && RtxPayloadType is { } rtx)
        {
            asRtx = true;
            length = RtxPacket.Wrap(cached, RtpHeader.Length(cached), destination, rtx, _rtxSequence++, RtxSsrc);
        }
        else
        {
            cached.CopyTo(destination);
            length = cached.Length;
        }
        // A retransmission leaves now: the subscriber's estimator must not read it as delayed by its first send.
        AbsSendTime.Restamp(destination[..length], AbsSendTimeId, now);
        return RetransmissionOutcome.Sent;
    }

    /// <summary>
    /// Writes a padding-only packet (RFC 3550 §5.1) on our RTX stream into <paramref name="destination"/>: bits the
    /// subscriber's estimator counts while <see cref="DownlinkProbe"/> tests whether its link carries a higher layer.
    /// Returns its length, 0 when the subscriber has no RTX stream to pad on.
    /// </summary>
    internal int WritePadding(Span<byte> destination, int paddingLength, TimeSpan now)
    {
        if (!RtxAccepted || RtxPayloadType is not { } rtx || AbsSendTimeId == 0) return 0;
        Span<byte> header = stackalloc byte[RtpHeader.FixedLength];
        header[0] = 0x80;
        var length = RtpHeader.WriteForwarded(header, RtpHeader.FixedLength, destination, rtx, _rtxSequence++, _munger.LastTimestamp, RtxSsrc, AbsSendTimeId, now);
        destination[0] |= 0x20;
        destination.Slice(length, paddingLength - 1).Clear();
        destination[length + paddingLength - 1] = (byte)paddingLength;
        return length + paddingLength;
    }

    /// <summary>A packet we sent earlier with this sequence number, if it is still cached.</summary>
    internal ReadOnlySpan<byte> Cached(ushort sequence)
    {
        if (_cache is null) return default;
        var slot = sequence % CacheSize;
        return _cacheSequences![slot] == sequence && _cacheLengths![slot] > 0 ? _cache[slot].AsSpan(0, _cacheLengths[slot]) : default;
    }
}

/// <summary>What became of one packet a subscriber's NACK asked for.</summary>
internal enum RetransmissionOutcome { Sent, NotCached, WithinRoundTrip, BudgetExhausted }
