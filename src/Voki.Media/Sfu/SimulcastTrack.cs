namespace Voki.Media.Sfu;

/// <summary>
/// One simulcast m= section (RFC 8853): up to three encodings of one camera, each its own RTP stream and so its own
/// <see cref="PublishedTrack"/> (receiver, NACKs, reports), lowest first. A layer's SSRC is learnt from the first packet
/// that names its rid (RFC 8852 §3), its RTX SSRC from the first that names it as the repaired rid. Subscribers receive
/// the section as one track (<see cref="Top"/> stands for it) and each gets the layer its downlink carries; the
/// recording takes the top layer, and the one below where the top one pauses.
/// </summary>
public sealed class SimulcastTrack
{
    internal SimulcastTrack(PeerConnection publisher, string mid, IReadOnlyList<string> rids, int payloadType, int? rtxPayloadType)
    {
        Publisher = publisher;
        Mid = mid;
        Rids = rids;
        RtxPayloadType = rtxPayloadType;
        Layers = rids.Select((rid, index) => new PublishedTrack(publisher, "video", mid, 0, payloadType) { Simulcast = this, Layer = index, Rid = rid }).ToArray();
    }

    public PeerConnection Publisher { get; }
    public string Mid { get; }
    /// <summary>The layers' rids, lowest first.</summary>
    public IReadOnlyList<string> Rids { get; }
    public int? RtxPayloadType { get; }
    /// <summary>Every layer; one whose SSRC is not known yet has <see cref="PublishedTrack.Ssrc"/> 0.</summary>
    public PublishedTrack[] Layers { get; }
    public PublishedTrack Top => Layers[^1];

    /// <summary>The camera's freezes: none while any of its layers completes frames.</summary>
    public VideoFreezes Freezes { get; } = new();

    /// <summary>Replaced, never mutated, so the receive loop reads it without a lock; shared by every layer.</summary>
    public volatile ForwardedTrack[] Subscribers = [];

    public int IndexOf(string rid)
    {
        for (var i = 0; i < Rids.Count; i++) if (Rids[i] == rid) return i;
        return -1;
    }
}
