using Voki.Media.Rtp;

namespace Voki.Media.Sfu;

/// <summary>
/// What peers report in their RTCP (RFC 3550 §6, RFC 4585 §6), on the receive thread: publishers' sender reports (the
/// recorder's clock mapping), report blocks (round-trip time, downlink loss), and subscribers' feedback: PLI and FIR
/// passed to the publisher, REMB as the downlink estimate, generic NACKs served from the forwarded track's cache.
/// </summary>
internal sealed class RtcpReceiver(MediaNodeOptions options, MediaCounters counters, PeerSender sender, UplinkControl uplink)
{
    // What one NACK asks for (the receive thread's scratch space).
    private readonly ushort[] _nacked = new ushort[Math.Max(1, options.MaxNackedPacketsPerRequest)];

    public void OnRtcp(PeerConnection peer, ReadOnlySpan<byte> compound)
    {
        var packets = RtcpPacket.Split(compound);
        if (packets.Count == 0 || packets[^1].Offset + packets[^1].Length != compound.Length) Interlocked.Increment(ref counters.RtcpMalformed);
        foreach (var (offset, length) in packets)
        {
            var packet = new RtcpPacket(compound.Slice(offset, length));
            switch (packet.Type)
            {
                case RtcpType.SenderReport when length >= 28:
                    if (peer.Published.TryGetValue(packet.SenderSsrc, out var published))
                    {
                        (published.LastSrNtp, published.LastSrRtp) = RtcpPacket.SenderReportTimes(packet.Bytes);
                        published.LastSrAt = DateTime.UtcNow;
                        published.Recorder?.SenderReport(published.LastSrNtp, published.LastSrRtp);
                    }
                    MeasureRoundTrip(peer, packet.Bytes);
                    break;
                case RtcpType.ReceiverReport:
                    MeasureRoundTrip(peer, packet.Bytes);
                    break;
                case RtcpType.PayloadFeedback when packet.Format is RtcpType.PliFormat or RtcpType.FirFormat:
                    var media = packet.Format == RtcpType.PliFormat ? packet.MediaSsrc
                        : length >= 20 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(packet.Bytes[12..]) : 0;
                    if (peer.Forwarded.TryGetValue(media, out var wanted))
                    {
                        Interlocked.Increment(ref wanted.KeyframeRequestsReceived);
                        uplink.RequestKeyframe(wanted.KeyframeSource);
                    }
                    break;
                case RtcpType.PayloadFeedback when packet.Format == RtcpType.RembFormat:
                    if (RembPacket.TryRead(packet.Bytes, out var estimate)) OnDownlinkEstimate(peer, estimate);
                    break;
                case RtcpType.TransportFeedback when packet.Format == RtcpType.NackFormat:
                    if (peer.Forwarded.TryGetValue(packet.MediaSsrc, out var nacked)) Retransmit(peer, nacked, packet.Bytes);
                    break;
            }
        }
    }

    /// <summary>
    /// A subscriber's REMB: its downlink estimate. A publisher whose fit it lowers hears of it now, not at the next
    /// report, since a queue that fills at the bottleneck turns into loss and freezes within a few hundred milliseconds.
    /// </summary>
    private void OnDownlinkEstimate(PeerConnection subscriber, ulong bitsPerSecond)
    {
        Interlocked.Increment(ref counters.RembReceived);
        var now = MediaNode.Now;
        subscriber.Downlink.OnRemb(bitsPerSecond, now);
        foreach (var forwarded in subscriber.Forwarded.Values)
        {
            if (!forwarded.Active || forwarded.Source.Kind != "video") continue;
            if (forwarded.Simulcast is not null)
            {
                uplink.FitLayer(subscriber, forwarded, now);
                continue;
            }
            var publisher = forwarded.Source.Publisher;
            var ceiling = PublisherBitrateFit.Ceiling(publisher, now, options.MaxPublisherBitrate, options.MinPublisherVideoBitrate);
            if (ceiling < Interlocked.Read(ref publisher.LastRembSent) * 0.95) uplink.SendRemb(publisher, ceiling);
        }
    }

    /// <summary>
    /// Round-trip time from the report blocks about our sender reports to this peer, and what each block says of the
    /// stream's loss and jitter on the way to it (RFC 3550 §6.4.1).
    /// </summary>
    private static void MeasureRoundTrip(PeerConnection peer, ReadOnlySpan<byte> report)
    {
        if ((report[0] & 0x1F) == 0) return;
        var now = RtcpWriter.NtpNow();
        foreach (var block in ReportBlock.Parse(report))
        {
            if (!peer.Forwarded.TryGetValue(block.Ssrc, out var forwarded)) continue;
            peer.RoundTrip.OnReport(block.LastSenderReport, block.DelaySinceLastSenderReport, now);
            forwarded.Reported = new ReportedReception(block, MediaNode.Now, forwarded.Sent.Lost);
        }
    }

    /// <summary>
    /// Serves a subscriber's NACK from the track's cache, as RTX when the subscriber accepted it: each packet once,
    /// at most <see cref="MediaNodeOptions.MaxNackedPacketsPerRequest"/>, none again within the subscriber's round trip,
    /// and within its retransmission budget. Everything refused is counted.
    /// </summary>
    private void Retransmit(PeerConnection peer, ForwardedTrack track, ReadOnlySpan<byte> nack)
    {
        if (peer.Outbound is not { } outbound || peer.Address is not { } address) return;
        Interlocked.Exchange(ref peer.LastNackReceivedTicks, MediaNode.Now.Ticks);
        Interlocked.Increment(ref peer.NacksReceived);
        var request = GenericNack.Read(nack, _nacked);
        if (request.Refused > 0) Interlocked.Add(ref counters.NackEntriesRefused, request.Refused);
        var now = MediaNode.Now;
        var roundTrip = peer.RoundTrip.Current > options.MinRetransmissionInterval ? peer.RoundTrip.Current : options.MinRetransmissionInterval;
        var downlink = peer.Downlink.Current(now);
        var overAllowance = false;
        lock (peer.SendGate)
        {
            foreach (var sequence in _nacked.AsSpan(0, request.Count))
            {
                switch (track.TryRetransmit(sequence, now, roundTrip, peer.SendBuffer, out var length, out var asRtx))
                {
                    case RetransmissionOutcome.NotCached: Interlocked.Increment(ref counters.NackedPacketsNotCached); continue;
                    case RetransmissionOutcome.WithinRoundTrip: Interlocked.Increment(ref counters.RetransmissionsWithinRoundTrip); continue;
                    case RetransmissionOutcome.BudgetExhausted: Interlocked.Increment(ref counters.RetransmissionBudgetExhausted); continue;
                }
                if (!peer.Retransmissions.TryTake(length, downlink, now))
                {
                    // What the thin link cannot carry again it gets whole: a keyframe ends the wait for the lost packets.
                    Interlocked.Increment(ref counters.RetransmissionsOverAllowance);
                    overAllowance = true;
                    continue;
                }
                sender.SendRtpHeld(peer, outbound, address, length);
                Interlocked.Increment(ref counters.Retransmissions);
                if (asRtx) Interlocked.Increment(ref counters.RtxSent);
            }
        }
        if (overAllowance) uplink.RequestKeyframe(track.KeyframeSource);
    }
}
