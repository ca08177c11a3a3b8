namespace Voki.Media.Sfu;

/// <summary>What the node dropped and forwarded, for health pages and benchmarks. Updated with Interlocked.</summary>
public sealed class MediaCounters
{
    public long UnknownDatagrams;
    public long StunMalformed;
    public long StunIntegrityFailures;
    public long StunUnknownUser;
    public long DtlsUnknownSource;
    public long DtlsHandshakeFailures;
    public long SrtpAuthenticationFailures;
    public long RtpUnknownSsrc;
    public long PacketsReceived;
    public long PacketsForwarded;
    public long BytesForwarded;
    public long Retransmissions;
    public long KeyframeRequests;
    public long ConsentExpirations;

    public override string ToString() =>
        $"received={PacketsReceived} forwarded={PacketsForwarded} stunBad={StunMalformed}/{StunIntegrityFailures}/{StunUnknownUser} " +
        $"dtlsUnknown={DtlsUnknownSource} dtlsFailed={DtlsHandshakeFailures} srtpAuthFailed={SrtpAuthenticationFailures} unknown={UnknownDatagrams}";
}
