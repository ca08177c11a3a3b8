using System.Globalization;
using System.Text.Json;

namespace Voki.Tests.Impairment;

/// <summary>
/// One getStats() sample of a peer connection's video, as a receiver and as a publisher sees it (W3C
/// webrtc-stats: inbound-rtp, outbound-rtp, the selected candidate pair). Chromium has freezeCount and
/// totalFreezesDuration; Firefox does not (null).
/// </summary>
public sealed record VideoStatsSample(long At, List<InboundVideo> Inbound, List<OutboundVideo> Outbound, int? LocalPort)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    /// <summary>
    /// A JavaScript function of one RTCPeerConnection that returns the sample as JSON-friendly data. Both the Playwright
    /// pages and the Firefox driver (tests/browser-js) evaluate this one definition.
    /// </summary>
    public const string Function = """
        async (pc) => {
          const report = await pc.getStats();
          const out = { at: Date.now(), inbound: [], outbound: [], localPort: null };
          let pairId = null;
          report.forEach((r) => {
            if (r.type === "inbound-rtp" && r.kind === "video")
              out.inbound.push({ ssrc: r.ssrc, framesDecoded: r.framesDecoded ?? 0, freezeCount: r.freezeCount ?? null,
                totalFreezesDuration: r.totalFreezesDuration ?? null, nackCount: r.nackCount ?? 0, pliCount: r.pliCount ?? 0,
                firCount: r.firCount ?? 0, bytesReceived: r.bytesReceived ?? 0, packetsReceived: r.packetsReceived ?? 0,
                packetsLost: r.packetsLost ?? 0, frameWidth: r.frameWidth ?? 0, frameHeight: r.frameHeight ?? 0 });
            else if (r.type === "outbound-rtp" && r.kind === "video")
              out.outbound.push({ ssrc: r.ssrc, rid: r.rid ?? null, framesEncoded: r.framesEncoded ?? 0, bytesSent: r.bytesSent ?? 0,
                frameWidth: r.frameWidth ?? 0, frameHeight: r.frameHeight ?? 0, nackCount: r.nackCount ?? 0, pliCount: r.pliCount ?? 0,
                retransmittedPacketsSent: r.retransmittedPacketsSent ?? 0 });
            else if (r.type === "transport" && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
            else if (r.type === "candidate-pair" && r.selected && !pairId) pairId = r.id;
          });
          const pair = pairId && report.get(pairId);
          const local = pair && report.get(pair.localCandidateId);
          out.localPort = local?.port ?? null;
          return out;
        }
        """;

    /// <summary>An expression for a Playwright page: the sample of the connection that <paramref name="peerConnection"/> evaluates to.</summary>
    public static string Of(string peerConnection) => $"async () => ({Function})({peerConnection})";

    public static VideoStatsSample Parse(JsonElement json) => json.Deserialize<VideoStatsSample>(Json)!;

    /// <summary>The video this connection receives: the inbound stream with the most decoded frames (a renegotiation may have replaced an earlier one).</summary>
    public InboundVideo? Received => Inbound.MaxBy(i => i.FramesDecoded);

    /// <summary>The best layer this connection sends: the outbound stream with the widest picture, then the most frames.</summary>
    public OutboundVideo? Sent => Outbound.OrderByDescending(o => o.FrameWidth).ThenByDescending(o => o.FramesEncoded).FirstOrDefault();
}

public sealed record InboundVideo(long Ssrc, long FramesDecoded, long? FreezeCount, double? TotalFreezesDuration, long NackCount, long PliCount,
    long FirCount, long BytesReceived, long PacketsReceived, long PacketsLost, int FrameWidth, int FrameHeight);

public sealed record OutboundVideo(long Ssrc, string? Rid, long FramesEncoded, long BytesSent, int FrameWidth, int FrameHeight, long NackCount,
    long PliCount, long RetransmittedPacketsSent);

/// <summary>
/// What one receiver saw between two samples: decoded frames per second, freezes (the browser's count and duration,
/// where it has them), the feedback it sent, bitrate.
/// </summary>
public sealed record ReceivedVideo(double Seconds, double DecodedFps, long? Freezes, double? FrozenSeconds, long Nacks, long Plis, double Kbps,
    int FrameWidth, int FrameHeight)
{
    /// <summary>
    /// The time no frame was decoded for more than half a second, from samples taken four times a second
    /// (<see cref="Stretch"/>); unlike the browser's totalFreezesDuration, it counts a picture that stays frozen to the end.
    /// </summary>
    public double StalledSeconds { get; init; }

    /// <summary>The frozen time a viewer saw: the longer of the browser's freezes and the stalls.</summary>
    public double Frozen => Math.Max(FrozenSeconds ?? 0, StalledSeconds);

    public static ReceivedVideo Between(VideoStatsSample start, VideoStatsSample end)
    {
        var now = end.Received ?? throw new InvalidOperationException("the receiver has no inbound video");
        var then = start.Inbound.FirstOrDefault(i => i.Ssrc == now.Ssrc);
        double seconds = (end.At - start.At) / 1000.0;
        return new ReceivedVideo(seconds,
            (now.FramesDecoded - (then?.FramesDecoded ?? 0)) / seconds,
            now.FreezeCount - (then?.FreezeCount ?? 0),
            now.TotalFreezesDuration - (then?.TotalFreezesDuration ?? 0),
            now.NackCount - (then?.NackCount ?? 0),
            now.PliCount + now.FirCount - (then?.PliCount ?? 0) - (then?.FirCount ?? 0),
            (now.BytesReceived - (then?.BytesReceived ?? 0)) * 8 / 1000.0 / seconds,
            now.FrameWidth, now.FrameHeight);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{DecodedFps:F1} fps, {(Freezes is { } f ? $"{f} freezes {FrozenSeconds:F2} s" : "freezes n/a")}, stalled {StalledSeconds:F2} s, {Nacks} NACK, {Plis} PLI, {Kbps:F0} kbit/s, {FrameWidth}x{FrameHeight}");
}

/// <summary>What one publisher encoded between two samples (its best layer): the frames a perfect network would deliver.</summary>
public sealed record SentVideo(double Seconds, double EncodedFps, double Kbps, int FrameWidth, int FrameHeight, long NacksReceived, long Retransmitted)
{
    public static SentVideo Between(VideoStatsSample start, VideoStatsSample end)
    {
        var now = end.Sent ?? throw new InvalidOperationException("the publisher sends no video");
        var then = start.Outbound.FirstOrDefault(o => o.Ssrc == now.Ssrc);
        double seconds = (end.At - start.At) / 1000.0;
        return new SentVideo(seconds, (now.FramesEncoded - (then?.FramesEncoded ?? 0)) / seconds,
            (now.BytesSent - (then?.BytesSent ?? 0)) * 8 / 1000.0 / seconds, now.FrameWidth, now.FrameHeight,
            now.NackCount - (then?.NackCount ?? 0), now.RetransmittedPacketsSent - (then?.RetransmittedPacketsSent ?? 0));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{EncodedFps:F1} fps encoded, {Kbps:F0} kbit/s, {FrameWidth}x{FrameHeight}, {NacksReceived} NACKs answered by {Retransmitted} retransmissions");
}
