namespace Voki.Media.Sfu;

/// <summary>
/// The bitrate we ask a single-layer publisher for (our REMB to it): each of its video tracks fitted to the weakest
/// subscriber's share of that subscriber's downlink estimate, plus what its audio needs. A subscriber's estimate is
/// shared out over the video it receives after its audio; a subscriber without a fresh estimate holds nobody down.
/// </summary>
public static class PublisherBitrateFit
{
    /// <summary>What one Opus stream is given before video shares a downlink (the pages' Opus runs at ~32–40 kbit/s).</summary>
    public const long AudioAllowance = 48_000;
    /// <summary>Headroom for RTP/SRTP overhead and retransmissions on the subscriber's link.</summary>
    public const double Headroom = 0.92;

    public static long Ceiling(PeerConnection publisher, TimeSpan now, long max, long min)
    {
        long total = 0;
        var videoTracks = 0;
        foreach (var track in publisher.Sources())
        {
            if (track.Kind != "video") { total += AudioAllowance; continue; }
            videoTracks++;
            // A simulcast publisher is never held down: each subscriber gets the layer its own link carries.
            if (track.Simulcast is not null) { total += max; continue; }
            var ceiling = max;
            foreach (var forwarded in track.Subscribers)
            {
                if (!forwarded.Active) continue;
                if (Share(forwarded.Subscriber, now) is { } share) ceiling = Math.Min(ceiling, share);
            }
            total += Math.Clamp(ceiling, min, max);
        }
        return videoTracks == 0 ? 0 : total;
    }

    /// <summary>One video track's share of the subscriber's downlink, or null when the subscriber has no fresh estimate.</summary>
    public static long? Share(PeerConnection subscriber, TimeSpan now)
    {
        if (subscriber.Downlink.Current(now) is not { } estimate) return null;
        int video = 0, audio = 0;
        foreach (var forwarded in subscriber.Forwarded.Values)
        {
            if (!forwarded.Active) continue;
            if (forwarded.Source.Kind == "video") video++; else audio++;
        }
        return (long)(estimate * Headroom - audio * AudioAllowance) / Math.Max(1, video);
    }
}
