namespace Voki.Media.Sfu;

/// <summary>What the node dropped and forwarded, for health pages and benchmarks. Updated with Interlocked.</summary>
public sealed class MediaCounters
{
    public long UnknownDatagrams;
    public long StunMalformed;
    public long StunIntegrityFailures;
    public long StunUnknownUser;
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
    public long SrtpAuthenticationFailures;
    public long RtpUnknownSsrc;
    public long PacketsReceived;
    public long PacketsForwarded;
    public long BytesForwarded;
    public long Retransmissions;
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

    public override string ToString() =>
        $"received={PacketsReceived} forwarded={PacketsForwarded} stunBad={StunMalformed}/{StunIntegrityFailures}/{StunUnknownUser} " +
        $"dtlsUnknown={DtlsUnknownSource} dtlsFailed={DtlsHandshakeFailures} dtlsTimeouts={DtlsHandshakeTimeouts}/{DtlsDeadlineDrops} " +
        $"dtlsRefused={DtlsHandshakesRefusedNodeFull}/{DtlsHandshakesRefusedPerCall}/{DtlsHandshakesRefusedPerAddress} dtlsResent={DtlsFinalFlightResends} " +
        $"dtlsClosed={DtlsClosedByPeer}/{DtlsFatalAlertsReceived} dtlsRateLimited={DtlsRecordsRateLimited} srtpAuthFailed={SrtpAuthenticationFailures} unknown={UnknownDatagrams} " +
        $"nacks={NacksSent}/{PacketsNacked} recovered={PacketsRecovered} giveUps={NackGiveUps} rtx={RtxReceived}/{RtxSent} " +
        $"retransmitted={Retransmissions} duplicates={DuplicatesDropped} pli={KeyframeRequests} recorderDropped={RecorderWritesDropped}";

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
}
