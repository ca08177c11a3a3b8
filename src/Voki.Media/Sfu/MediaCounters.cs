namespace Voki.Media.Sfu;

/// <summary>
/// What the node dropped and forwarded, each kind of drop and failure on a counter of its own, for health pages,
/// benchmarks and metrics (<see cref="Snapshot"/>). Updated with Interlocked; every public long field is a counter.
/// </summary>
public sealed class MediaCounters
{
    /// <summary>Datagrams whose first byte is none of STUN, DTLS or RTP/RTCP (RFC 7983 §7).</summary>
    public long UnknownDatagrams;
    /// <summary>Exceptions a datagram's handler threw on the receive thread: bugs, since bad input is refused without one.</summary>
    public long HandlerExceptions;
    /// <summary>Exceptions on the RTCP timer and NACK threads (a report or a track skipped until the next tick).</summary>
    public long BackgroundExceptions;
    /// <summary>Exceptions the session's owner's handlers threw (OfferReady, ParticipantConnected, ParticipantDropped, QualitySampled): its bugs, which never end a peer's media.</summary>
    public long OwnerHandlerExceptions;
    public long StunMalformed;
    public long StunIntegrityFailures;
    public long StunUnknownUser;
    /// <summary>STUN messages other than binding requests: an ICE-lite agent answers, it does not ask.</summary>
    public long StunNotRequests;
    /// <summary>Binding requests refused as replays: a transaction id already seen from another address.</summary>
    public long StunReplays;
    /// <summary>Addresses that passed a connected participant's STUN check and became candidate paths, and the paths moved to one by SRTP from it.</summary>
    public long CandidatePaths;
    public long PathChanges;
    public long DtlsUnknownSource;
    /// <summary>Handshakes that failed: a bad certificate or fingerprint, a fatal alert, malformed flights.</summary>
    public long DtlsHandshakeFailures;
    /// <summary>Handshakes BouncyCastle gave up on after the handshake timeout.</summary>
    public long DtlsHandshakeTimeouts;
    /// <summary>Peers dropped because their DTLS had not finished in time after ICE, whatever STUN said.</summary>
    public long DtlsDeadlineDrops;
    /// <summary>Handshakes not started (the client retransmits and tries again) because the node, the call or the source address had its share in flight.</summary>
    public long DtlsHandshakesRefusedNodeFull;
    public long DtlsHandshakesRefusedPerCall;
    public long DtlsHandshakesRefusedPerAddress;
    /// <summary>Datagrams of our last flight sent again because the client retransmitted its own after the handshake.</summary>
    public long DtlsFinalFlightResends;
    /// <summary>Connected peers that ended DTLS: close_notify, or a fatal alert.</summary>
    public long DtlsClosedByPeer;
    public long DtlsFatalAlertsReceived;
    /// <summary>DTLS datagrams dropped unread: beyond a connected peer's rate, or a handshake's queue full.</summary>
    public long DtlsRecordsRateLimited;
    /// <summary>SRTP or SRTCP from a participant's path that did not authenticate, that replayed an index, or too short or with a header too broken to try.</summary>
    public long SrtpAuthenticationFailures;
    public long SrtpReplays;
    public long SrtpMalformed;
    /// <summary>SRTP or SRTCP from an address that is no participant's path (or before its DTLS gave keys).</summary>
    public long MediaUnknownSource;
    /// <summary>Authentic SRTCP whose compound packet has a malformed header (RFC 3550 §6.1) or trailing bytes; what comes before is read.</summary>
    public long RtcpMalformed;
    public long RtpUnknownSsrc;
    /// <summary>RTX packets with no original inside: padding-only bandwidth probes (RFC 4588 §4), or too short.</summary>
    public long RtxWithoutPacket;
    public long PacketsReceived;
    /// <summary>Bytes of those packets (RTP header and payload, after SRTP), RTX included.</summary>
    public long BytesReceived;
    public long PacketsForwarded;
    public long BytesForwarded;
    public long Retransmissions;
    /// <summary>Entries of subscribers' NACKs not served: named twice in one NACK, or beyond MaxNackedPacketsPerRequest.</summary>
    public long NackEntriesRefused;
    /// <summary>Packets a subscriber asked for that the track's cache no longer held (or never did: audio).</summary>
    public long NackedPacketsNotCached;
    /// <summary>Retransmissions refused: the same packet went to the subscriber within its round-trip time.</summary>
    public long RetransmissionsWithinRoundTrip;
    /// <summary>Retransmissions refused: the subscriber's retransmission budget for the track was spent.</summary>
    public long RetransmissionBudgetExhausted;
    public long KeyframeRequests;
    public long ConsentExpirations;
    /// <summary>Generic NACK messages sent to publishers, and the packets they asked for (RFC 4585 §6.2.1).</summary>
    public long NacksSent;
    public long PacketsNacked;
    /// <summary>Packets a publisher resent after we asked (plain or RTX) that filled a gap.</summary>
    public long PacketsRecovered;
    /// <summary>Packets given up on after every request went unanswered, or too old to wait for.</summary>
    public long NackGiveUps;
    /// <summary>RTX packets received from publishers and sent to subscribers (RFC 4588).</summary>
    public long RtxReceived;
    public long RtxSent;
    /// <summary>Packets that arrived twice, or after they were given up on: neither forwarded nor recorded.</summary>
    public long DuplicatesDropped;
    /// <summary>Recorded frames and packets dropped because the capture's disk fell behind.</summary>
    public long RecorderWritesDropped;
    /// <summary>Subscribers' downlink estimates received, and the bitrate ceilings we sent publishers (REMB).</summary>
    public long RembReceived;
    public long RembSent;
    /// <summary>Simulcast layers and their RTX streams whose SSRC a packet's RtpStreamId named (RFC 8852).</summary>
    public long SimulcastStreamsBound;
    /// <summary>Times a subscriber was moved to another simulcast layer (at that layer's keyframe).</summary>
    public long LayerSwitches;
    /// <summary>Padding bytes sent to subscribers while probing whether their downlink carries a higher layer.</summary>
    public long ProbePaddingBytes;
    /// <summary>NACKed packets not resent because the subscriber's retransmission allowance of its downlink was spent.</summary>
    public long RetransmissionsOverAllowance;
    /// <summary>Transport-wide congestion control feedback messages sent to publishers.</summary>
    public long TransportFeedbackSent;

    // Offer and capture limits (OfferLimits, CaptureLimits).
    /// <summary>Offers refused whole for exceeding an <see cref="OfferLimits"/> limit.</summary>
    public long OffersRefused;
    /// <summary>Forwarded tracks not offered to a subscriber whose m= lines were all in use (none free to recycle).</summary>
    public long SubscriptionsRefused;
    /// <summary>Forwarded tracks put on a subscriber's idle m= line rather than a new one, at its line limit.</summary>
    public long LinesRecycled;
    /// <summary>Tracks whose capture stopped at their byte or bitrate ceiling.</summary>
    public long TrackCapturesStopped;
    /// <summary>Captures stopped whole: call or tenant quota, or the disk below its free-space watermark.</summary>
    public long CapturesStopped;
    /// <summary>RTP timestamp jumps the recorder took for discontinuities (a new segment placed by arrival).</summary>
    public long TimestampDiscontinuities;

    private static readonly System.Reflection.FieldInfo[] Fields =
        typeof(MediaCounters).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance);

    /// <summary>Every counter by name (camelCase, as metrics name them), read at one moment.</summary>
    public IReadOnlyDictionary<string, long> Snapshot()
    {
        var snapshot = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var field in Fields)
        {
            snapshot[char.ToLowerInvariant(field.Name[0]) + field.Name[1..]] = (long)field.GetValue(this)!;
        }
        return snapshot;
    }

    /// <summary>
    /// One line of what changed since <paramref name="previous"/> (a snapshot; null: since the start), "name=+delta"
    /// for every counter that moved; empty when none did.
    /// </summary>
    public static string Changes(IReadOnlyDictionary<string, long> current, IReadOnlyDictionary<string, long>? previous) =>
        string.Join(' ', current.Select(c => (c.Key, Delta: c.Value - (previous?.GetValueOrDefault(c.Key) ?? 0))).Where(c => c.Delta != 0).Select(c => $"{c.Key}=+{c.Delta}"));

    /// <summary>Every counter that is not zero, "name=value".</summary>
    public override string ToString() => string.Join(' ', Snapshot().Where(c => c.Value != 0).Select(c => $"{c.Key}={c.Value}"));
}
