namespace Voki.Media.Sfu;

/// <summary>Configuration of one node's media plane (section "Media").</summary>
public sealed class MediaNodeOptions
{
    /// <summary>Address the UDP socket binds to.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";
    /// <summary>The node's one UDP port for every call (0 picks a free port, for tests).</summary>
    public int Port { get; set; } = 40000;
    /// <summary>Address written into SDP candidates: what browsers can reach.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";
    /// <summary>RFC 7675: a peer that stops answering consent checks this long is dropped.</summary>
    public TimeSpan ConsentTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// A peer's DTLS handshake must finish this long after its first STUN check, retransmissions
    /// included, or the peer is dropped whatever its consent checks say.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>DTLS handshakes in flight on the node (each holds a thread while it waits for flights).</summary>
    public int MaxHandshakes { get; set; } = 64;
    /// <summary>DTLS handshakes in flight per call: one call cannot take the node's handshake capacity.</summary>
    public int MaxHandshakesPerCall { get; set; } = 8;
    /// <summary>DTLS handshakes in flight per source IP address: one host cannot either.</summary>
    public int MaxHandshakesPerAddress { get; set; } = 8;
    /// <summary>The bitrate ceiling we advertise to publishers with REMB, when no subscriber's downlink asks for less.</summary>
    public long MaxPublisherBitrate { get; set; } = 2_500_000;
    /// <summary>Packets one NACK may ask for after de-duplication (RFC 4585 §6.2.1); the rest of a bigger one is refused.</summary>
    public int MaxNackedPacketsPerRequest { get; set; } = 128;
    /// <summary>
    /// A subscriber's retransmissions of a track may take this share of the bytes the track sent it, plus
    /// <see cref="RetransmissionFloorBytesPerSecond"/>, saved up to <see cref="RetransmissionBurstBytes"/>: enough to mend
    /// 10 % loss twice over, while a NACK storm gets no more.
    /// </summary>
    public double RetransmissionShare { get; set; } = 0.25;
    public int RetransmissionFloorBytesPerSecond { get; set; } = 32 * 1024;
    public int RetransmissionBurstBytes { get; set; } = 128 * 1024;
    /// <summary>
    /// The same packet goes to the same subscriber at most once per this long, or its round-trip time when longer.
    /// Browsers re-NACK after their own RTT estimate, 100 ms until they have one; ours lags a queue that has just grown.
    /// </summary>
    public TimeSpan MinRetransmissionInterval { get; set; } = TimeSpan.FromMilliseconds(100);
    /// <summary>What one participant's offers may make the node hold (section "Media:Offers").</summary>
    public OfferLimits Offers { get; set; } = new();
    /// <summary>What a call's capture may cost in bytes and disk (section "Media:Capture").</summary>
    public Recording.CaptureLimits Capture { get; set; } = new();
    /// <summary>
    /// Answers a publisher's transport-wide sequence numbers (transport-cc) with feedback, so its own send-side estimator
    /// sees the uplink's delay and loss (issue 9 item 3). It was off while Chromium's estimate, started at its default
    /// 300 kbit/s, stayed at 265–282 kbit/s for the first 15 s of a call on this machine; since our answers start it at
    /// <see cref="Sdp.Codecs.PublisherStartKbps"/> it holds the layers' full rate from the first seconds.
    /// </summary>
    public bool TransportWideFeedback { get; set; } = true;
    /// <summary>The least we ask a publisher's video for, however thin its weakest subscriber's downlink.</summary>
    public long MinPublisherVideoBitrate { get; set; } = 150_000;
}
