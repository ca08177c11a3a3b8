using Voki.Media.Rtp;

namespace Voki.Media.Sfu;

/// <summary>
/// What the node tells publishers about their uplink: generic NACKs for the video packets it lost (RFC 4585 §6.2.1,
/// retried by the publisher's round-trip time), transport-wide feedback for its own estimator, PLI when a keyframe is
/// the last resort (RFC 4585 §6.3.1), and REMB when its subscribers' downlinks call for a lower bitrate.
/// </summary>
internal sealed class UplinkControl(PeerSender sender, MediaCounters counters, MediaFaults faults)
{
    /// <summary>Transport-wide feedback to a publisher every 50 ms (libwebrtc's receivers send every 50–250 ms), in NACK ticks.</summary>
    public const int TransportFeedbackEvery = 5;
    private readonly List<ushort> _due = [];
    private readonly byte[] _nack = new byte[GenericNack.HeaderLength + 256 * GenericNack.FciLength];
    private readonly byte[] _feedback = new byte[1200];

    /// <summary>
    /// One NACK tick of a publisher (on the NACK thread only): the packets each track's receive buffer wants again, the
    /// ones given up on, a keyframe where they cost the picture, and the transport feedback when it is due.
    /// </summary>
    public void Tick(PeerConnection publisher, TimeSpan now, bool feedbackDue)
    {
        if (feedbackDue && publisher.TransportCcId != 0) SendTransportFeedback(publisher);
        foreach (var (_, track) in publisher.Published)
        {
            try
            {
                _due.Clear();
                var abandoned = track.Receiver.Tick(now, publisher.RoundTrip.Current, _due);
                if (_due.Count > 0)
                {
                    var length = GenericNack.Write(_nack, 1, track.Ssrc, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_due));
                    sender.SendRtcp(publisher, _nack.AsSpan(0, length));
                    Interlocked.Increment(ref counters.NacksSent);
                    Interlocked.Add(ref counters.PacketsNacked, _due.Count);
                }
                if (abandoned > 0)
                {
                    Interlocked.Add(ref counters.NackGiveUps, abandoned);
                    track.GaveUp();
                }
                if (abandoned > 0 || track.Receiver.TakeKeyframeWish()) RequestKeyframe(track);
            }
            catch (Exception e)
            {
                // One track's trouble must not stop recovery for the others; the next tick tries again.
                faults.Record(MediaFaultSite.BackgroundThread, e);
            }
        }
    }

    private void SendTransportFeedback(PeerConnection publisher)
    {
        var mediaSsrc = publisher.Published.Keys.FirstOrDefault();
        for (var length = publisher.TransportFeedback.Next(_feedback, _feedback.Length, 1, mediaSsrc); length > 0;
             length = publisher.TransportFeedback.Next(_feedback, _feedback.Length, 1, mediaSsrc))
        {
            sender.SendRtcp(publisher, _feedback.AsSpan(0, length));
            Interlocked.Increment(ref counters.TransportFeedbackSent);
        }
    }

    /// <summary>Asks the publisher for a keyframe (PLI), at most twice a second per track.</summary>
    public void RequestKeyframe(PublishedTrack track)
    {
        if (track.Ssrc == 0) return; // a simulcast layer not seen yet: its first packets will start with a keyframe

        track.KeyframeWanted = true;
        var now = DateTime.UtcNow;
        if (now - track.LastKeyframeRequest < TimeSpan.FromMilliseconds(500)) return;
        track.LastKeyframeRequest = now;
        Span<byte> pli = stackalloc byte[12];
        RtcpWriter.Pli(pli, 1, track.Ssrc);
        sender.SendRtcp(track.Publisher, pli);
        Interlocked.Increment(ref counters.KeyframeRequests);
    }

    /// <summary>A simulcast subscriber's layer fitted to its share of its downlink; the new layer's keyframe asked of its publisher.</summary>
    public void FitLayer(PeerConnection subscriber, ForwardedTrack forwarded, TimeSpan now)
    {
        if (LayerAllocation.Update(forwarded, PublisherBitrateFit.Share(subscriber, now), now) is { } wanted) RequestKeyframe(wanted);
    }

    /// <summary>A bitrate ceiling for the publisher's video now, not at the next report (RFC draft-alvestrand-rmcat-remb).</summary>
    public void SendRemb(PeerConnection publisher, long bitsPerSecond)
    {
        Span<uint> video = stackalloc uint[4];
        var count = 0;
        foreach (var track in publisher.Published.Values)
            if (track.Kind == "video" && count < video.Length) video[count++] = track.Ssrc;
        if (count == 0) return;
        Span<byte> remb = stackalloc byte[20 + 4 * 4];
        var length = RtcpWriter.Remb(remb, 1, (ulong)bitsPerSecond, video[..count]);
        sender.SendRtcp(publisher, remb[..length]);
        Interlocked.Exchange(ref publisher.LastRembSent, bitsPerSecond);
        Interlocked.Increment(ref counters.RembSent);
    }
}
