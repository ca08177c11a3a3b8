using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Voki.Media.Dtls;
using Voki.Media.Ice;
using Voki.Media.Rtp;
using Voki.Media.Sdp;
using Voki.Media.Srtp;

namespace Voki.Media.Sfu;

/// <summary>
/// The media plane of one node: one UDP port for every call, demultiplexed by first byte (RFC 7983),
/// STUN USERNAME (ICE-lite, RFC 8445 §2.5) and then by the 5-tuple the STUN check came from.
/// A receive thread does ICE, SRTP and forwarding; a timer thread sends RTCP and checks consent; a NACK thread
/// asks publishers to resend what their uplink lost.
/// </summary>
public sealed class MediaNode : IDisposable
{
    private readonly MediaNodeOptions _options;
    private readonly Socket _socket;
    private readonly ConcurrentDictionary<string, PeerConnection> _byUfrag = new();
    private readonly ConcurrentDictionary<SocketAddress, PeerConnection> _byAddress = new();
    // Addresses that passed a connected participant's STUN check but sent no SRTP yet (CandidatePaths).
    private readonly ConcurrentDictionary<SocketAddress, PeerConnection> _byCandidate = new();
    private readonly ConcurrentDictionary<string, SfuSession> _sessions = new();
    private readonly DtlsHandshakePool _handshakes;
    private readonly DtlsRecordService _dtlsRecords = new();
    private readonly BcTlsCrypto _crypto = new(new SecureRandom());
    private static readonly TimeSpan NackInterval = TimeSpan.FromMilliseconds(10);
    private readonly Thread _receiver, _timer, _nacker;
    private readonly byte[] _rtcpBuffer = new byte[1500];
    // The receive thread's scratch space for the original packet inside an RTX packet.
    private readonly byte[] _unwrapped = new byte[2048];
    // The receive thread's scratch space for what one NACK asks for.
    private readonly ushort[] _nacked;
    private volatile bool _running = true;

    public DtlsCertificate Certificate { get; } = DtlsCertificate.Generate();
    public MediaCounters Counters { get; }
    /// <summary>Bugs caught on the node's threads and in its owner's handlers; the host logs <see cref="MediaFaults.Caught"/>.</summary>
    public MediaFaults Faults { get; }
    public MediaNodeOptions Options => _options;
    /// <summary>The bytes each tenant's open captures hold on this node, against <see cref="Recording.CaptureLimits.MaxTenantBytes"/>.</summary>
    public Recording.CaptureQuotas CaptureQuotas { get; } = new();
    public int Port { get; }
    public string AdvertisedAddress => _options.AdvertisedAddress;

    public MediaNode(MediaNodeOptions options)
    {
        _options = options;
        Counters = new MediaCounters();
        Faults = new MediaFaults(Counters);
        var bind = IPAddress.Parse(options.BindAddress);
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.ReceiveBufferSize = 4 << 20;
        _socket.SendBufferSize = 4 << 20;
        _socket.Bind(new IPEndPoint(bind, options.Port));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        _nacked = new ushort[Math.Max(1, options.MaxNackedPacketsPerRequest)];
        _handshakes = new DtlsHandshakePool(options.MaxHandshakes, options.MaxHandshakesPerCall, options.MaxHandshakesPerAddress);
        _receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = "media-receive", Priority = ThreadPriority.AboveNormal };
        _timer = new Thread(TimerLoop) { IsBackground = true, Name = "media-rtcp" };
        _nacker = new Thread(NackLoop) { IsBackground = true, Name = "media-nack" };
        _receiver.Start();
        _timer.Start();
        _nacker.Start();
        WarmUp();
    }

    /// <summary>Participants whose transport the node still knows (ICE credentials registered), across every call.</summary>
    public int PeerCount => _byUfrag.Count;

    /// <summary>The media plane's monotonic clock, for loss-recovery timing.</summary>
    internal static TimeSpan Now => Stopwatch.GetElapsedTime(0);

    public SfuSession Session(string id) => _sessions.GetOrAdd(id, key => new SfuSession(key, this));

    public SfuSession? ExistingSession(string id) => _sessions.GetValueOrDefault(id);

    internal IEnumerable<SfuSession> SessionsSnapshot() => [.. _sessions.Values];

    internal void CloseSession(SfuSession session) => _sessions.TryRemove(new KeyValuePair<string, SfuSession>(session.Id, session));

    internal LocalTransport LocalTransport(PeerConnection peer) =>
        new(peer.LocalUfrag, peer.LocalPassword, Certificate.FingerprintSha256, _options.AdvertisedAddress, Port);

    internal void Register(PeerConnection peer) => _byUfrag[peer.LocalUfrag] = peer;

    internal void Unregister(PeerConnection peer)
    {
        _byUfrag.TryRemove(peer.LocalUfrag, out _);
        if (peer.Address is { } address) _byAddress.TryRemove(new KeyValuePair<SocketAddress, PeerConnection>(address, peer));
        List<SocketAddress> candidates;
        lock (peer.Candidates) candidates = peer.Candidates.Clear();
        foreach (var candidate in candidates) _byCandidate.TryRemove(new KeyValuePair<SocketAddress, PeerConnection>(candidate, peer));
        peer.Dtls?.Close();
    }

    private void ReceiveLoop()
    {
        var buffer = new byte[2048];
        var from = new SocketAddress(_socket.AddressFamily);
        while (_running)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException) { continue; }
            catch (ObjectDisposedException) { return; }
            try
            {
                var datagram = buffer.AsSpan(0, length);
                if (length == 0) continue;
                switch (datagram[0])
                {
                    case < 4: OnStun(datagram, from); break;
                    case >= 20 and <= 63: OnDtls(datagram, from); break;
                    case >= 128 and <= 191: OnMedia(buffer, length, from); break;
                    default: Interlocked.Increment(ref Counters.UnknownDatagrams); break;
                }
            }
            catch (Exception e)
            {
                // A bug, not bad input (that is refused and counted where it is found): the node keeps serving everyone else.
                Faults.Record(MediaFaultSite.ReceiveThread, e);
            }
        }
    }

    private void OnStun(ReadOnlySpan<byte> datagram, SocketAddress from)
    {
        var message = StunMessage.TryParse(datagram);
        if (message is null) { Interlocked.Increment(ref Counters.StunMalformed); return; }
        if (message.Type != StunMessageType.BindingRequest) { Interlocked.Increment(ref Counters.StunNotRequests); return; }
        var colon = message.Username?.IndexOf(':') ?? -1;
        if (colon <= 0 || !_byUfrag.TryGetValue(message.Username![..colon], out var peer))
        {
            Interlocked.Increment(ref Counters.StunUnknownUser);
            return;
        }
        if (!message.HasIntegrity || !message.VerifyIntegrity(peer.LocalPassword))
        {
            Interlocked.Increment(ref Counters.StunIntegrityFailures);
            return;
        }
        if (!peer.Transactions.Admit(message.TransactionId, from))
        {
            Interlocked.Increment(ref Counters.StunReplays);
            return;
        }
        var endpoint = (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(from);
        _socket.SendTo(StunMessage.BindingSuccess(message.TransactionId, endpoint, peer.LocalPassword), SocketFlags.None, from);
        if (peer.Address is null || (peer.Inbound is null && message.UseCandidate && !peer.Address.Equals(from)))
        {
            // Before SRTP there is no media to take, and DTLS must follow the pair the agent nominated (RFC 8445 §8.1.1).
            peer.LastConsent = DateTime.UtcNow;
            peer.IceConnectedAt ??= DateTime.UtcNow;
            CommitPath(peer, from, endpoint);
        }
        else if (peer.Address.Equals(from)) peer.LastConsent = DateTime.UtcNow; // consent is per path (RFC 7675 §5.1)
        else AddCandidatePath(peer, from, endpoint);
    }

    /// <summary>An authenticated check from elsewhere makes a candidate path only: see <see cref="CandidatePaths"/>.</summary>
    private void AddCandidatePath(PeerConnection peer, SocketAddress from, IPEndPoint endpoint)
    {
        SocketAddress? evicted, added;
        lock (peer.Candidates)
        {
            if (peer.State == PeerState.Closed) return;
            evicted = peer.Candidates.Add(from, endpoint, out added);
        }
        if (evicted is not null) _byCandidate.TryRemove(new KeyValuePair<SocketAddress, PeerConnection>(evicted, peer));
        if (_byCandidate.TryAdd(added, peer)) Interlocked.Increment(ref Counters.CandidatePaths);
    }

    private void CommitPath(PeerConnection peer, SocketAddress from, IPEndPoint endpoint)
    {
        var address = new SocketAddress(from.Family, from.Size);
        from.Buffer.CopyTo(address.Buffer);
        if (peer.Address is { } old) _byAddress.TryRemove(new KeyValuePair<SocketAddress, PeerConnection>(old, peer));
        peer.Address = address;
        peer.RemoteEndPoint = endpoint;
        _byAddress[address] = peer;
    }

    private void CountSrtpFailure(SrtpOutcome outcome)
    {
        switch (outcome)
        {
            case SrtpOutcome.Replayed: Interlocked.Increment(ref Counters.SrtpReplays); break;
            case SrtpOutcome.Malformed: Interlocked.Increment(ref Counters.SrtpMalformed); break;
            default: Interlocked.Increment(ref Counters.SrtpAuthenticationFailures); break;
        }
    }

    /// <summary>
    /// A datagram from a candidate path: when it is the participant's SRTP or SRTCP, the participant moved, and its
    /// media follows it from here on. Returns the peer when it did.
    /// </summary>
    private PeerConnection? TryMovePath(byte[] buffer, int length, SocketAddress from, out int plainLength, out bool rtcp)
    {
        plainLength = 0;
        rtcp = RtpHeader.IsRtcp(buffer.AsSpan(0, length));
        if (!_byCandidate.TryGetValue(from, out var peer) || peer.Inbound is not { } inbound)
        {
            Interlocked.Increment(ref Counters.MediaUnknownSource);
            return null;
        }
        var outcome = rtcp ? inbound.UnprotectRtcp(buffer, length, out plainLength) : inbound.UnprotectRtp(buffer, length, out plainLength);
        if (outcome != SrtpOutcome.Authentic)
        {
            CountSrtpFailure(outcome);
            return null;
        }
        (SocketAddress Address, IPEndPoint EndPoint) candidate;
        lock (peer.Candidates)
        {
            if (peer.State == PeerState.Closed || !peer.Candidates.TryTake(from, out candidate)) return null;
        }
        _byCandidate.TryRemove(new KeyValuePair<SocketAddress, PeerConnection>(candidate.Address, peer));
        CommitPath(peer, candidate.Address, candidate.EndPoint);
        peer.LastConsent = DateTime.UtcNow;
        Interlocked.Increment(ref Counters.PathChanges);
        return peer;
    }

    private void OnDtls(ReadOnlySpan<byte> datagram, SocketAddress from)
    {
        if (!_byAddress.TryGetValue(from, out var peer)) { Interlocked.Increment(ref Counters.DtlsUnknownSource); return; }
        if (peer.State == PeerState.New && !StartHandshake(peer)) return; // refused for now: the client's retransmission tries again
        if (peer.Dtls is not { } dtls) return;
        if (!dtls.Deliver(datagram)) { Interlocked.Increment(ref Counters.DtlsRecordsRateLimited); return; }
        if (dtls.Connected) ServiceDtlsRecords(peer, dtls);
    }

    /// <summary>Starts the peer's handshake on a thread of its own, unless the node, its call or its address has its share in flight.</summary>
    private bool StartHandshake(PeerConnection peer)
    {
        if (peer.RemoteEndPoint is not { } endpoint) return false;
        var dtls = new DtlsServerConnection(_crypto, Certificate, peer.RemoteFingerprint, _options.HandshakeTimeout, d => SendRaw(peer, d.Span));
        var admission = _handshakes.TryStart(peer.Session.Id, endpoint.Address, () => Handshake(peer, dtls));
        switch (admission)
        {
            case HandshakeAdmission.Started:
                peer.Dtls = dtls;
                peer.State = PeerState.Connecting;
                return true;
            case HandshakeAdmission.CallFull: Interlocked.Increment(ref Counters.DtlsHandshakesRefusedPerCall); return false;
            case HandshakeAdmission.AddressFull: Interlocked.Increment(ref Counters.DtlsHandshakesRefusedPerAddress); return false;
            default: Interlocked.Increment(ref Counters.DtlsHandshakesRefusedNodeFull); return false;
        }
    }

    private void Handshake(PeerConnection peer, DtlsServerConnection dtls)
    {
        try
        {
            var keys = dtls.Accept();
            if (peer.State == PeerState.Closed) return;
            (peer.Inbound, peer.Outbound) = keys.ServerContexts();
            peer.State = PeerState.Connected;
            peer.Session.Connected(peer);
            if (dtls.HasPending) ServiceDtlsRecords(peer, dtls); // what arrived while the handshake ended
        }
        catch (Exception) when (peer.State == PeerState.Closed)
        {
            // Dropped meanwhile (left, consent or the DTLS deadline): closing the transport ended the handshake.
        }
        catch (TlsTimeoutException)
        {
            Interlocked.Increment(ref Counters.DtlsHandshakeTimeouts);
            peer.Session.Drop(peer, "DTLS handshake timed out");
        }
        catch (Exception)
        {
            Interlocked.Increment(ref Counters.DtlsHandshakeFailures);
            peer.Session.Drop(peer, "DTLS handshake failed");
        }
    }

    /// <summary>After the handshake: our last flight again for a client that retransmits its own, the end of media on close_notify or an alert.</summary>
    private void ServiceDtlsRecords(PeerConnection peer, DtlsServerConnection dtls) => _dtlsRecords.Schedule(dtls, (outcome, sent) =>
    {
        if (peer.State == PeerState.Closed) return;
        if (outcome == DtlsRecordOutcome.Open)
        {
            Interlocked.Add(ref Counters.DtlsFinalFlightResends, sent);
            return;
        }
        Interlocked.Increment(ref outcome == DtlsRecordOutcome.ClosedByPeer ? ref Counters.DtlsClosedByPeer : ref Counters.DtlsFatalAlertsReceived);
        peer.Session.Drop(peer, outcome == DtlsRecordOutcome.ClosedByPeer ? "DTLS closed by the peer" : "DTLS fatal alert");
    });

    /// <summary>
    /// A peer past ICE whose DTLS has not finished within the handshake timeout is dropped, whatever its
    /// consent checks say: consent proves only that someone answers STUN, and a handshake that was
    /// refused a slot, or never begun, has no BouncyCastle timeout of its own to end it.
    /// </summary>
    private void EnforceDtlsDeadline(SfuSession session, PeerConnection peer, DateTime now)
    {
        if (peer.State is PeerState.Connected or PeerState.Closed || peer.IceConnectedAt is not { } since || now - since <= _options.HandshakeTimeout) return;
        Interlocked.Increment(ref Counters.DtlsDeadlineDrops);
        session.Drop(peer, "DTLS not finished in time");
    }

    private void OnMedia(byte[] buffer, int length, SocketAddress from)
    {
        int plainLength;
        bool rtcp;
        if (_byAddress.TryGetValue(from, out var peer) && peer.Inbound is { } inbound)
        {
            rtcp = RtpHeader.IsRtcp(buffer.AsSpan(0, length));
            var outcome = rtcp ? inbound.UnprotectRtcp(buffer, length, out plainLength) : inbound.UnprotectRtp(buffer, length, out plainLength);
            if (outcome != SrtpOutcome.Authentic) { CountSrtpFailure(outcome); return; }
        }
        else if (peer is null && _byCandidate.ContainsKey(from))
        {
            if ((peer = TryMovePath(buffer, length, from, out plainLength, out rtcp)) is null) return;
        }
        else
        {
            Interlocked.Increment(ref Counters.MediaUnknownSource); // no one's path, or SRTP before the keys
            return;
        }
        if (rtcp)
        {
            OnRtcp(peer, buffer.AsSpan(0, plainLength));
            return;
        }
        Interlocked.Increment(ref Counters.PacketsReceived);
        Interlocked.Add(ref Counters.BytesReceived, plainLength);
        Interlocked.Add(ref peer.BytesReceived, plainLength);
        var packet = buffer.AsSpan(0, plainLength);
        if (peer.TransportCcId is var transportCc and not 0 && HeaderExtension.Find(packet, transportCc) is { Length: 2 } transportSequence)
            peer.TransportFeedback.OnPacket(System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(transportSequence), Now);
        var ssrc = RtpHeader.Ssrc(packet);
        if (!peer.Published.TryGetValue(ssrc, out var track))
        {
            // A simulcast layer's first packets name it (RFC 8852): from then on its SSRC is known.
            if (!peer.RepairStreams.TryGetValue(ssrc, out track) && (peer.Simulcasts.IsEmpty || (track = peer.Session.BindLayer(peer, packet)) is null))
            {
                Interlocked.Increment(ref Counters.RtpUnknownSsrc);
                return;
            }
        }
        var viaRtx = track.Ssrc != ssrc;
        if (viaRtx)
        {
            if (RtpHeader.PayloadType(packet) != track.RtxPayloadType)
            {
                Interlocked.Increment(ref Counters.RtpUnknownSsrc);
                return;
            }
            // A retransmission (RFC 4588): from here on it is the original packet. Padding-only probes end here.
            var originalLength = RtxPacket.Unwrap(packet, _unwrapped, (byte)track.PayloadType, track.Ssrc);
            if (originalLength < 0) { Interlocked.Increment(ref Counters.RtxWithoutPacket); return; }
            Interlocked.Increment(ref Counters.RtxReceived);
            packet = _unwrapped.AsSpan(0, originalLength);
            plainLength = originalLength;
        }
        var headerLength = RtpHeader.Length(packet);
        if (headerLength < 0) { Interlocked.Increment(ref Counters.SrtpMalformed); return; } // SRTP checked it already: defensive
        var now = Now;
        var arrival = track.Receiver.Receive(packet, now, out var recorderWantsKeyframe);
        if (recorderWantsKeyframe) RequestKeyframe(track);
        if (arrival == PacketArrival.Duplicate) { Interlocked.Increment(ref Counters.DuplicatesDropped); return; }
        track.Bitrate.Add(plainLength, now);
        if (arrival == PacketArrival.Recovered) Interlocked.Increment(ref Counters.PacketsRecovered);
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
                var sent = outbound.ProtectRtp(subscriber.SendBuffer, written);
                _socket.SendTo(subscriber.SendBuffer.AsSpan(0, sent), SocketFlags.None, address);
            }
            Interlocked.Increment(ref Counters.PacketsForwarded);
            Interlocked.Add(ref Counters.BytesForwarded, plainLength);
            Interlocked.Add(ref subscriber.BytesSent, plainLength);
        }
    }

    private void OnRtcp(PeerConnection peer, ReadOnlySpan<byte> compound)
    {
        var packets = RtcpPacket.Split(compound);
        if (packets.Count == 0 || packets[^1].Offset + packets[^1].Length != compound.Length) Interlocked.Increment(ref Counters.RtcpMalformed);
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
                        RequestKeyframe(wanted.KeyframeSource);
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
        Interlocked.Increment(ref Counters.RembReceived);
        var now = Now;
        subscriber.Downlink.OnRemb(bitsPerSecond, now);
        foreach (var forwarded in subscriber.Forwarded.Values)
        {
            if (!forwarded.Active || forwarded.Source.Kind != "video") continue;
            if (forwarded.Simulcast is not null)
            {
                FitLayer(subscriber, forwarded, now);
                continue;
            }
            var publisher = forwarded.Source.Publisher;
            var ceiling = PublisherBitrateFit.Ceiling(publisher, now, _options.MaxPublisherBitrate, _options.MinPublisherVideoBitrate);
            if (ceiling < Interlocked.Read(ref publisher.LastRembSent) * 0.95) SendRemb(publisher, ceiling);
        }
    }

    /// <summary>A simulcast subscriber's layer fitted to its share of its downlink; the new layer's keyframe asked for.</summary>
    private void FitLayer(PeerConnection subscriber, ForwardedTrack forwarded, TimeSpan now)
    {
        if (LayerAllocation.Update(forwarded, PublisherBitrateFit.Share(subscriber, now), now) is { } wanted) RequestKeyframe(wanted);
    }

    /// <summary>Padding to subscribers whose downlink is being probed (<see cref="DownlinkProbe"/>), in packets of at most 255 bytes.</summary>
    private void SendProbePadding(PeerConnection peer, TimeSpan now)
    {
        foreach (var (_, forwarded) in peer.Forwarded)
        {
            if (forwarded.Simulcast is null || !forwarded.Active) continue;
            var due = forwarded.Probe.PaddingDue(now);
            if (due <= 0 || peer.Outbound is not { } outbound || peer.Address is not { } address) continue;
            lock (peer.SendGate)
            {
                for (; due >= 32; due -= 255)
                {
                    var length = forwarded.WritePadding(peer.SendBuffer, Math.Min(255, due), now);
                    if (length == 0) break;
                    var sent = outbound.ProtectRtp(peer.SendBuffer, length);
                    _socket.SendTo(peer.SendBuffer.AsSpan(0, sent), SocketFlags.None, address);
                    Interlocked.Add(ref Counters.ProbePaddingBytes, Math.Min(255, due));
                }
            }
        }
    }

    private void SendRemb(PeerConnection publisher, long bitsPerSecond)
    {
        Span<uint> video = stackalloc uint[4];
        var count = 0;
        foreach (var track in publisher.Published.Values)
            if (track.Kind == "video" && count < video.Length) video[count++] = track.Ssrc;
        if (count == 0) return;
        Span<byte> remb = stackalloc byte[20 + 4 * 4];
        var length = RtcpWriter.Remb(remb, 1, (ulong)bitsPerSecond, video[..count]);
        SendRtcp(publisher, remb[..length]);
        Interlocked.Exchange(ref publisher.LastRembSent, bitsPerSecond);
        Interlocked.Increment(ref Counters.RembSent);
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
            forwarded.Reported = new ReportedReception(block, Now, forwarded.Sent.Lost);
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
        Interlocked.Exchange(ref peer.LastNackReceivedTicks, Now.Ticks);
        Interlocked.Increment(ref peer.NacksReceived);
        var request = GenericNack.Read(nack, _nacked);
        if (request.Refused > 0) Interlocked.Add(ref Counters.NackEntriesRefused, request.Refused);
        var now = Now;
        var roundTrip = peer.RoundTrip.Current > _options.MinRetransmissionInterval ? peer.RoundTrip.Current : _options.MinRetransmissionInterval;
        var downlink = peer.Downlink.Current(now);
        var overAllowance = false;
        lock (peer.SendGate)
        {
            foreach (var sequence in _nacked.AsSpan(0, request.Count))
            {
                switch (track.TryRetransmit(sequence, now, roundTrip, peer.SendBuffer, out var length, out var asRtx))
                {
                    case RetransmissionOutcome.NotCached: Interlocked.Increment(ref Counters.NackedPacketsNotCached); continue;
                    case RetransmissionOutcome.WithinRoundTrip: Interlocked.Increment(ref Counters.RetransmissionsWithinRoundTrip); continue;
                    case RetransmissionOutcome.BudgetExhausted: Interlocked.Increment(ref Counters.RetransmissionBudgetExhausted); continue;
                }
                if (!peer.Retransmissions.TryTake(length, downlink, now))
                {
                    // What the thin link cannot carry again it gets whole: a keyframe ends the wait for the lost packets.
                    Interlocked.Increment(ref Counters.RetransmissionsOverAllowance);
                    overAllowance = true;
                    continue;
                }
                var sent = outbound.ProtectRtp(peer.SendBuffer, length);
                _socket.SendTo(peer.SendBuffer.AsSpan(0, sent), SocketFlags.None, address);
                Interlocked.Increment(ref Counters.Retransmissions);
                if (asRtx) Interlocked.Increment(ref Counters.RtxSent);
            }
        }
        if (overAllowance) RequestKeyframe(track.KeyframeSource);
    }

    /// <summary>
    /// Every <see cref="NackInterval"/>: asks publishers for the video packets their uplink lost (generic NACK,
    /// RFC 4585 §6.2.1, retried by each publisher's round-trip time), gives up on what is too old, when a keyframe
    /// (PLI) is the last resort, and lets the recorders' receive buffers release what stopped waiting.
    /// </summary>
    private void NackLoop()
    {
        var due = new List<ushort>();
        var nack = new byte[GenericNack.HeaderLength + 256 * GenericNack.FciLength];
        var feedback = new byte[1200];
        var ticks = 0;
        while (_running)
        {
            Thread.Sleep(NackInterval);
            var now = Now;
            var feedbackDue = ++ticks % TransportFeedbackEvery == 0;
            foreach (var (_, peer) in _byUfrag)
            {
                if (peer.State != PeerState.Connected) continue;
                if (feedbackDue && peer.TransportCcId != 0) SendTransportFeedback(peer, feedback);
                try { SendProbePadding(peer, now); }
                catch (Exception e) { Faults.Record(MediaFaultSite.BackgroundThread, e); }
                foreach (var (_, track) in peer.Published)
                {
                    try
                    {
                        due.Clear();
                        var abandoned = track.Receiver.Tick(now, peer.RoundTrip.Current, due);
                        if (due.Count > 0)
                        {
                            var length = GenericNack.Write(nack, 1, track.Ssrc, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(due));
                            SendRtcp(peer, nack.AsSpan(0, length));
                            Interlocked.Increment(ref Counters.NacksSent);
                            Interlocked.Add(ref Counters.PacketsNacked, due.Count);
                        }
                        if (abandoned > 0)
                        {
                            Interlocked.Add(ref Counters.NackGiveUps, abandoned);
                            track.GaveUp();
                        }
                        if (abandoned > 0 || track.Receiver.TakeKeyframeWish()) RequestKeyframe(track);
                    }
                    catch (Exception e)
                    {
                        // One track's trouble must not stop recovery for the others; the next tick tries again.
                        Faults.Record(MediaFaultSite.BackgroundThread, e);
                    }
                }
            }
        }
    }

    /// <summary>Transport-wide feedback to a publisher every 50 ms (libwebrtc's receivers send every 50–250 ms).</summary>
    private const int TransportFeedbackEvery = 5;

    private void SendTransportFeedback(PeerConnection peer, byte[] buffer)
    {
        var mediaSsrc = peer.Published.Keys.FirstOrDefault();
        for (var length = peer.TransportFeedback.Next(buffer, buffer.Length, 1, mediaSsrc); length > 0; length = peer.TransportFeedback.Next(buffer, buffer.Length, 1, mediaSsrc))
        {
            SendRtcp(peer, buffer.AsSpan(0, length));
            Interlocked.Increment(ref Counters.TransportFeedbackSent);
        }
    }

    /// <summary>Asks the publisher for a keyframe (PLI), at most twice a second per track.</summary>
    internal void RequestKeyframe(PublishedTrack track)
    {
        if (track.Ssrc == 0) return; // a simulcast layer not seen yet: its first packets will start with a keyframe

        track.KeyframeWanted = true;
        var now = DateTime.UtcNow;
        if (now - track.LastKeyframeRequest < TimeSpan.FromMilliseconds(500)) return;
        track.LastKeyframeRequest = now;
        Span<byte> pli = stackalloc byte[12];
        RtcpWriter.Pli(pli, 1, track.Ssrc);
        SendRtcp(track.Publisher, pli);
        Interlocked.Increment(ref Counters.KeyframeRequests);
    }

    private void SendRtcp(PeerConnection peer, ReadOnlySpan<byte> rtcp)
    {
        if (peer.Outbound is not { } outbound || peer.Address is not { } address) return;
        lock (peer.SendGate)
        {
            rtcp.CopyTo(peer.SendBuffer);
            var sent = outbound.ProtectRtcp(peer.SendBuffer, rtcp.Length);
            _socket.SendTo(peer.SendBuffer.AsSpan(0, sent), SocketFlags.None, address);
        }
    }

    private void SendRaw(PeerConnection peer, ReadOnlySpan<byte> datagram)
    {
        if (peer.Address is { } address) _socket.SendTo(datagram, SocketFlags.None, address);
    }

    /// <summary>Once a second: receiver reports and REMB to publishers, sender reports to subscribers, consent checks.</summary>
    private void TimerLoop()
    {
        while (_running)
        {
            Thread.Sleep(1000);
            var now = DateTime.UtcNow;
            foreach (var session in _sessions.Values)
            {
                try { session.Capture?.Flush(); }
                catch (IOException) { /* a full disk must not stop the media; the next tick tries again */ }
            }
            foreach (var session in _sessions.Values)
                foreach (var peer in session.PeersSnapshot())
                {
                    try
                    {
                        if (now - peer.LastConsent > _options.ConsentTimeout)
                        {
                            Interlocked.Increment(ref Counters.ConsentExpirations);
                            session.Drop(peer, "consent expired");
                            continue;
                        }
                        EnforceDtlsDeadline(session, peer, now);
                        if (peer.State == PeerState.Connected) SendReports(peer, now);
                    }
                    catch (Exception e)
                    {
                        // A report that fails to build is skipped; the next tick tries again.
                        Faults.Record(MediaFaultSite.BackgroundThread, e);
                    }
                }
        }
    }

    private void SendReports(PeerConnection peer, DateTime now)
    {
        var buffer = _rtcpBuffer.AsSpan();
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
            if (track.KeyframeWanted && now - track.LastKeyframeRequest > TimeSpan.FromSeconds(1)) RequestKeyframe(track);
        }
        if (video.Count > 0)
        {
            var ceiling = PublisherBitrateFit.Ceiling(peer, Now, _options.MaxPublisherBitrate, _options.MinPublisherVideoBitrate);
            length += RtcpWriter.Remb(buffer[length..], 1, (ulong)ceiling, video.ToArray());
            Interlocked.Exchange(ref peer.LastRembSent, ceiling);
            Interlocked.Increment(ref Counters.RembSent);
        }
        foreach (var forwarded in peer.Forwarded.Values)
        {
            if (forwarded.Simulcast is not null && forwarded.Active) FitLayer(peer, forwarded, Now);
            if (forwarded.Current is not { } source || !forwarded.Active || source.LastSrAt == default || length + 28 > 1200) continue;
            // Carry the publisher's clock mapping into our timestamp space, advanced to now.
            var elapsed = (now - source.LastSrAt).TotalSeconds;
            var rtp = forwarded.TranslateTimestamp(unchecked(source.LastSrRtp + (uint)(elapsed * source.ClockRate)));
            length += RtcpWriter.SenderReport(buffer[length..], forwarded.LocalSsrc, RtcpWriter.ToNtp(now), rtp, forwarded.PacketsSent, forwarded.OctetsSent);
        }
        if (length > 0) SendRtcp(peer, buffer[..length]);
        if (peer.Quality?.Sample(peer, Now) is { } sample) Faults.Notify(QualitySampled, sample);
    }

    /// <summary>Each connected participant's figures, once a second (on the RTCP timer: handlers must be quick).</summary>
    public event Action<QualitySample>? QualitySampled;

    /// <summary>Runs one DTLS handshake over loopback queues so the first caller does not pay for JIT and key setup.</summary>
    private void WarmUp()
    {
        var client = DtlsCertificate.Generate();
        QueuedDatagramTransport? clientSide = null;
        var serverSide = new DtlsServerConnection(_crypto, Certificate, client.FingerprintSha256, _options.HandshakeTimeout, d => clientSide!.Deliver(d.Span));
        clientSide = new QueuedDatagramTransport(d => serverSide.Deliver(d.Span));
        var done = new ManualResetEventSlim();
        var admission = _handshakes.TryStart("warm-up", IPAddress.Loopback, () =>
        {
            try { serverSide.Accept(); }
            finally { done.Set(); }
        });
        if (admission != HandshakeAdmission.Started) return;
        try
        {
            new DtlsClientProtocol().Connect(new DtlsSrtpClient(_crypto, client, Certificate.FingerprintSha256, Srtp.SrtpProfiles.Preference), clientSide);
        }
        catch (Exception) { /* warming is best effort */ }
        done.Wait(TimeSpan.FromSeconds(10));
        serverSide.Close();
    }

    public void Dispose()
    {
        _running = false;
        foreach (var session in _sessions.Values) session.Close();
        _socket.Dispose();
        _handshakes.Dispose();
        _dtlsRecords.Dispose();
    }
}
