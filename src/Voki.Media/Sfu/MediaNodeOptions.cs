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
    /// <summary>The least we ask a publisher's video for, however thin its weakest subscriber's downlink.</summary>
    public long MinPublisherVideoBitrate { get; set; } = 150_000;
}
