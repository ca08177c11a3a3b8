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
    /// <summary>Concurrent DTLS handshakes; the rest wait their turn.</summary>
    public int HandshakeWorkers { get; set; } = Math.Max(2, Environment.ProcessorCount);
    /// <summary>The bitrate ceiling we advertise to publishers with REMB.</summary>
    public long MaxPublisherBitrate { get; set; } = 2_500_000;
}
