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

    private readonly ushort _sequenceOffset;
    private readonly uint _timestampOffset;
    private readonly byte[][]? _cache;
    private readonly int[]? _cacheLengths;
    private readonly ushort[]? _cacheSequences;
    // When each cached packet was last retransmitted (MediaNode.Now ticks), 0 when never.
    private readonly long[]? _cacheResentAt;
    private readonly RetransmissionBudget _budget;
    internal uint PacketsSent, OctetsSent;

    public ForwardedTrack(PeerConnection subscriber, PublishedTrack source, string mid, byte payloadType)
    {
        Subscriber = subscriber;
        Source = source;
        Mid = mid;
        PayloadType = payloadType;
        LocalSsrc = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
        RtxSsrc = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
        _rtxSequence = (ushort)Random.Shared.Next(0, ushort.MaxValue);
        _sequenceOffset = (ushort)Random.Shared.Next(0, ushort.MaxValue);
        _timestampOffset = (uint)Random.Shared.NextInt64(0, uint.MaxValue);
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

    public uint TranslateTimestamp(uint sourceTimestamp) => unchecked(sourceTimestamp + _timestampOffset);

    /// <summary>Rewrites the packet into <paramref name="destination"/> and remembers it for retransmission; returns its length.</summary>
    internal int Rewrite(ReadOnlySpan<byte> packet, int headerLength, Span<byte> destination)
    {
        var sequence = unchecked((ushort)(RtpHeader.Sequence(packet) + _sequenceOffset));
        var length = RtpHeader.WriteForwarded(packet, headerLength, destination, PayloadType, sequence,
            TranslateTimestamp(RtpHeader.Timestamp(packet)), LocalSsrc, AbsSendTimeId, MediaNode.Now);
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
