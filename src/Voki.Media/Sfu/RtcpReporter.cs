using Voki.Media.Rtp;

namespace Voki.Media.Sfu;

/// <summary>
/// The node's once-a-second round (RFC 3550 §6.2 reporting interval, RFC 7675 consent): captures flushed, participants
/// whose consent or DTLS deadline ran out dropped, and to each connected participant one compound packet: receiver
/// reports and the REMB ceiling for what it publishes, sender reports for what it receives; then its quality sampled.
/// </summary>
internal sealed class RtcpReporter(MediaNodeOptions options, MediaCounters counters, MediaFaults faults, PeerSender sender,
    UplinkControl uplink, DtlsTransports dtls, Action<QualitySample> sampled)
{
    // Only the RTCP timer thread builds reports.
    private readonly byte[] _buffer = new byte[1500];

    public void Tick(IEnumerable<SfuSession> sessions, DateTime now)
    {
        var snapshot = sessions.ToList();
        foreach (var session in snapshot)
        {
            try { session.Capture?.Flush(); }
            catch (IOException) { /* a full disk must not stop the media; the next tick tries again */ }
        }
        foreach (var session in snapshot)
            foreach (var peer in session.PeersSnapshot())
            {
                try
                {
                    if (now - peer.LastConsent > options.ConsentTimeout)
                    {
                        Interlocked.Increment(ref counters.ConsentExpirations);
                        session.Drop(peer, "consent expired");
                        continue;
                    }
                    dtls.EnforceDeadline(session, peer, now);
                    if (peer.State == PeerState.Connected) SendReports(peer, now);
                }
                catch (Exception e)
                {
                    // A report that fails to build is skipped; the next tick tries again.
                    faults.Record(MediaFaultSite.BackgroundThread, e);
                }
            }
    }

    private void SendReports(PeerConnection peer, DateTime now)
    {
        var buffer = _buffer.AsSpan();
        var length = 0;
        var video = new List<uint>();
        foreach (var track in peer.Published.Values)
        {
            if (length + 32 > 1000) break;
            // The fraction lost since the previous report (RFC 3550 §A.3) and the jitter (§A.8): what the publisher's
            // loss-based estimator and its stats read.
            var interval = track.LastInterval = track.Loss.TakeInterval();
            track.LastFirstArrivalInterval = track.FirstArrivals.TakeInterval();
            var lost = (int)Math.Min(int.MaxValue, track.Loss.Lost);
            var lsr = (uint)(track.LastSrNtp >> 16);
            var dlsr = track.LastSrAt == default ? 0u : (uint)((now - track.LastSrAt).TotalSeconds * 65536);
            length += RtcpWriter.ReceiverReport(buffer[length..], 1, track.Ssrc, interval.FractionLost, lost, track.Loss.ExtendedHighest,
                track.Jitter.Units, lsr, dlsr);
            if (track.Kind == "video") video.Add(track.Ssrc);
            if (track.KeyframeWanted && now - track.LastKeyframeRequest > TimeSpan.FromSeconds(1)) uplink.RequestKeyframe(track);
        }
        if (video.Count > 0)
        {
            var ceiling = PublisherBitrateFit.Ceiling(peer, MediaNode.Now, options.MaxPublisherBitrate, options.MinPublisherVideoBitrate);
            length += RtcpWriter.Remb(buffer[length..], 1, (ulong)ceiling, video.ToArray());
            Interlocked.Exchange(ref peer.LastRembSent, ceiling);
            Interlocked.Increment(ref counters.RembSent);
        }
        foreach (var forwarded in peer.Forwarded.Values)
        {
            if (forwarded.Simulcast is not null && forwarded.Active) uplink.FitLayer(peer, forwarded, MediaNode.Now);
            if (forwarded.Current is not { } source || !forwarded.Active || source.LastSrAt == default || length + 28 > 1200) continue;
            // Carry the publisher's clock mapping into our timestamp space, advanced to now.
            var elapsed = (now - source.LastSrAt).TotalSeconds;
            var rtp = forwarded.TranslateTimestamp(unchecked(source.LastSrRtp + (uint)(elapsed * source.ClockRate)));
            length += RtcpWriter.SenderReport(buffer[length..], forwarded.LocalSsrc, RtcpWriter.ToNtp(now), rtp, forwarded.PacketsSent, forwarded.OctetsSent);
        }
        if (length > 0) sender.SendRtcp(peer, buffer[..length]);
        if (peer.Quality?.Sample(peer, MediaNode.Now) is { } sample) sampled(sample);
    }
}
