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
    /// <summary>Subscribers' downlink estimates received, and the bitrate ceilings we sent publishers (REMB).</summary>
    public long RembReceived;
    public long RembSent;
    /// <summary>NACKed packets not resent because our last retransmission of them was less than a round trip ago.</summary>
    public long RetransmissionsTooSoon;
    /// <summary>NACKed packets not resent because the subscriber's retransmission allowance of its downlink was spent.</summary>
    public long RetransmissionsOverAllowance;
    /// <summary>Transport-wide congestion control feedback messages sent to publishers.</summary>
    public long TransportFeedbackSent;

    public override string ToString() =>
        $"received={PacketsReceived} forwarded={PacketsForwarded} stunBad={StunMalformed}/{StunIntegrityFailures}/{StunUnknownUser} " +
        $"dtlsUnknown={DtlsUnknownSource} dtlsFailed={DtlsHandshakeFailures} dtlsTimeouts={DtlsHandshakeTimeouts}/{DtlsDeadlineDrops} " +
        $"dtlsRefused={DtlsHandshakesRefusedNodeFull}/{DtlsHandshakesRefusedPerCall}/{DtlsHandshakesRefusedPerAddress} dtlsResent={DtlsFinalFlightResends} " +
        $"dtlsClosed={DtlsClosedByPeer}/{DtlsFatalAlertsReceived} dtlsRateLimited={DtlsRecordsRateLimited} srtpAuthFailed={SrtpAuthenticationFailures} unknown={UnknownDatagrams} " +
        $"nacks={NacksSent}/{PacketsNacked} recovered={PacketsRecovered} giveUps={NackGiveUps} rtx={RtxReceived}/{RtxSent} " +
        $"retransmitted={Retransmissions} duplicates={DuplicatesDropped} pli={KeyframeRequests} recorderDropped={RecorderWritesDropped} remb={RembReceived}/{RembSent} resendTooSoon={RetransmissionsTooSoon}/{RetransmissionsOverAllowance} twcc={TransportFeedbackSent}";
}
