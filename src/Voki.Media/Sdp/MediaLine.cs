namespace Voki.Media.Sdp;

/// <summary>Our side of one negotiated m= section: what we receive on it, or the forwarded track we send on it.</summary>
public sealed class MediaLine
{
    public required string Mid { get; init; }
    public required string Kind { get; init; }
    public string Protocol { get; init; } = "UDP/TLS/RTP/SAVPF";
    /// <summary>Payload type of our one codec (Opus or VP8) on this line; null when the line is rejected.</summary>
    public int? PayloadType { get; set; }
    /// <summary>The RTX payload type retransmitting our codec on this line (RFC 4588), when negotiated.</summary>
    public int? RtxPayloadType { get; set; }
    /// <summary>sendonly, recvonly or inactive, from our side.</summary>
    public string Direction { get; set; } = "recvonly";
    /// <summary>The publisher's SSRC we receive on this line, when we receive.</summary>
    public uint? RemoteSsrc { get; set; }
    /// <summary>The SSRC and msid we send with, when this line carries a forwarded track.</summary>
    public uint? LocalSsrc { get; set; }
    /// <summary>The SSRC we retransmit on (RTX), paired with <see cref="LocalSsrc"/> by ssrc-group FID.</summary>
    public uint? LocalRtxSsrc { get; set; }
    /// <summary>Header extensions on this line (RFC 8285), each under the id the peer gave its URI.</summary>
    public List<(int Id, string Uri)> Extensions { get; } = [];
    /// <summary>The simulcast layers we receive on this line (RFC 8853), lowest first; empty for a single stream.</summary>
    public List<string> ReceiveRids { get; } = [];
    public string? StreamId { get; set; }
    public string? TrackId { get; set; }
    public bool Rejected => PayloadType is null;
}

/// <summary>Codecs the SFU forwards (payload types are never hard-coded: they come from the peer's offer).</summary>
public static class Codecs
{
    public const string OpusName = "opus/48000/2", Vp8Name = "VP8/90000", RtxName = "rtx/90000";
    public const int DefaultOpusPayloadType = 111, DefaultVp8PayloadType = 96;

    /// <summary>
    /// Where a Chromium publisher's bandwidth estimate starts, in kbit/s (its fmtp parameter x-google-start-bitrate, read
    /// from the description it receives). From its default 300 kbit/s the estimate grows by about 8 % a second, so the top
    /// simulcast layer stays starved for the call's first ~15 s, and each subscriber's own first estimate (what it has
    /// received after 5 s) then holds it on the lower layer for as long again. This starts at what the pages' layers and
    /// audio use together; a thinner uplink brings it down within a second or two through its losses.
    /// </summary>
    public const int PublisherStartKbps = 1000;

    public static string? NameFor(string kind) => kind switch { "audio" => OpusName, "video" => Vp8Name, _ => null };
}
