using Voki.Media.Rtp;

namespace Voki.Media.Sfu;

/// <summary>
/// A publisher's authentic RTP, on the receive thread: its transport-wide sequence noted for feedback, RTX unwrapped to
/// the original (RFC 4588 §4), the track's receive buffer told (recovery, duplicates, the recorder), and the packet sent
/// on to every subscriber whose forwarded track admits it, rewritten into that subscriber's numbering. Also the padding
/// that probes a subscriber's downlink (<see cref="DownlinkProbe"/>), on the NACK thread.
/// </summary>
internal sealed class RtpForwarder(PeerSender sender, MediaCounters counters, UplinkControl uplink)
{
    // The original packet inside an RTX packet (the receive thread's scratch space).
    private readonly byte[] _unwrapped = new byte[2048];

    public void OnRtp(PeerConnection peer, byte[] buffer, int plainLength)
    {
        Interlocked.Increment(ref counters.PacketsReceived);
        Interlocked.Add(ref counters.BytesReceived, plainLength);
        Interlocked.Add(ref peer.BytesReceived, plainLength);
        var packet = buffer.AsSpan(0, plainLength);
        if (peer.TransportCcId is var transportCc and not 0 && HeaderExtension.Find(packet, transportCc) is { Length: 2 } transportSequence)
            peer.TransportFeedback.OnPacket(System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(transportSequence), MediaNode.Now);
        var ssrc = RtpHeader.Ssrc(packet);
        if (!peer.Published.TryGetValue(ssrc, out var track))
        {
            // A simulcast layer's first packets name it (RFC 8852): from then on its SSRC is known.
            if (!peer.RepairStreams.TryGetValue(ssrc, out track) && (peer.Simulcasts.IsEmpty || (track = peer.Session.BindLayer(peer, packet)) is null))
            {
                Interlocked.Increment(ref counters.RtpUnknownSsrc);
                return;
            }
        }
        var viaRtx = track.Ssrc != ssrc;
        if (viaRtx)
        {
            if (RtpHeader.PayloadType(packet) != track.RtxPayloadType)
            {
                Interlocked.Increment(ref counters.RtpUnknownSsrc);
                return;
            }
            // A retransmission (RFC 4588): from here on it is the original packet. Padding-only probes end here.
            var originalLength = RtxPacket.Unwrap(packet, _unwrapped, (byte)track.PayloadType, track.Ssrc);
            if (originalLength < 0) { Interlocked.Increment(ref counters.RtxWithoutPacket); return; }
            Interlocked.Increment(ref counters.RtxReceived);
            packet = _unwrapped.AsSpan(0, originalLength);
            plainLength = originalLength;
        }
        var headerLength = RtpHeader.Length(packet);
        if (headerLength < 0) { Interlocked.Increment(ref counters.SrtpMalformed); return; } // SRTP checked it already: defensive
        var now = MediaNode.Now;
        var arrival = track.Receiver.Receive(packet, now, out var recorderWantsKeyframe);
        if (recorderWantsKeyframe) uplink.RequestKeyframe(track);
        if (arrival == PacketArrival.Duplicate) { Interlocked.Increment(ref counters.DuplicatesDropped); return; }
        track.Bitrate.Add(plainLength, now);
        if (arrival == PacketArrival.Recovered) Interlocked.Increment(ref counters.PacketsRecovered);
        track.Count(packet, headerLength, arrival, viaRtx, track.Receiver.Missing, now);
        if (track.KeyframeWanted && track.Kind == "video" && Vp8Payload.IsKeyframeStart(packet[headerLength..])) track.KeyframeWanted = false;
        foreach (var forwarded in track.Subscribers)
        {
            if (!forwarded.Active || !forwarded.Admit(track, packet, headerLength, arrival == PacketArrival.New)) continue;
            var subscriber = forwarded.Subscriber;
            if (subscriber.Outbound is not { } outbound || subscriber.Address is not { } address) continue;
            lock (subscriber.SendGate)
            {
                var written = forwarded.Rewrite(packet, headerLength, subscriber.SendBuffer);
                sender.SendRtpHeld(subscriber, outbound, address, written);
            }
            Interlocked.Increment(ref counters.PacketsForwarded);
            Interlocked.Add(ref counters.BytesForwarded, plainLength);
            Interlocked.Add(ref subscriber.BytesSent, plainLength);
        }
    }

    /// <summary>Padding to subscribers whose downlink is being probed (<see cref="DownlinkProbe"/>), in packets of at most 255 bytes.</summary>
    public void SendProbePadding(PeerConnection subscriber, TimeSpan now)
    {
        foreach (var (_, forwarded) in subscriber.Forwarded)
        {
            if (forwarded.Simulcast is null || !forwarded.Active) continue;
            var due = forwarded.Probe.PaddingDue(now);
            if (due <= 0 || subscriber.Outbound is not { } outbound || subscriber.Address is not { } address) continue;
            lock (subscriber.SendGate)
            {
                for (; due >= 32; due -= 255)
                {
                    var length = forwarded.WritePadding(subscriber.SendBuffer, Math.Min(255, due), now);
                    if (length == 0) break;
                    sender.SendRtpHeld(subscriber, outbound, address, length);
                    Interlocked.Add(ref counters.ProbePaddingBytes, Math.Min(255, due));
                }
            }
        }
    }
}
