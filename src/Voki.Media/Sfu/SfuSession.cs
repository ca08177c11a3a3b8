using Voki.Media.Sdp;

namespace Voki.Media.Sfu;

/// <summary>
/// One call's routing: every participant's audio and video forwarded to every other participant.
/// The browser offers what it publishes and we answer; when tracks come or go we send our own offer
/// (JSEP renegotiation, RFC 8829 §5.2) with one sendonly m= section per forwarded track.
/// </summary>
public sealed class SfuSession
{
    private readonly object _gate = new();
    private readonly Dictionary<string, PeerConnection> _peers = [];
    // Everyone who was in the call, for its quality: kept after they leave, until the session is dropped.
    private readonly Dictionary<string, ParticipantQuality> _quality = [];
    private bool _closed;

    public string Id { get; }
    public MediaNode Node { get; }
    /// <summary>The capture for the call's recording, once <see cref="StartCapture"/> was called.</summary>
    public Recording.CallCapture? Capture { get; private set; }

    /// <summary>An SDP offer to deliver to one participant (a track was added or removed).</summary>
    public event Action<string, string>? OfferReady;
    /// <summary>A participant's media ended without them leaving: consent lost or DTLS failed.</summary>
    public event Action<string, string>? ParticipantDropped;
    /// <summary>A participant's DTLS handshake finished: media flows.</summary>
    public event Action<string>? ParticipantConnected;

    internal SfuSession(string id, MediaNode node)
    {
        Id = id;
        Node = node;
    }

    public IReadOnlyCollection<string> Participants { get { lock (_gate) return _peers.Keys.ToArray(); } }

    public PeerConnection? Peer(string participantId) { lock (_gate) return _peers.GetValueOrDefault(participantId); }

    /// <summary>Applies a participant's offer and returns our answer. Throws <see cref="SdpException"/> for an unusable offer.</summary>
    public string AcceptOffer(string participantId, string offerSdp)
    {
        var offer = SessionDescription.Parse(offerSdp);
        var sections = offer.Media;
        if (sections.Count == 0) throw new SdpException("no media sections");
        var first = sections.FirstOrDefault(m => m.Kind is "audio" or "video") ?? throw new SdpException("no audio or video section");
        var ufrag = offer.Find(first, "ice-ufrag") ?? throw new SdpException("missing a=ice-ufrag");
        _ = offer.Find(first, "ice-pwd") ?? throw new SdpException("missing a=ice-pwd");
        var fingerprint = offer.Find(first, "fingerprint") ?? throw new SdpException("missing a=fingerprint");
        if (!fingerprint.StartsWith("sha-256 ", StringComparison.OrdinalIgnoreCase)) throw new SdpException("only sha-256 fingerprints are supported");
        if (offer.Find(first, "setup") is "passive") throw new SdpException("a=setup:passive is not supported: the SFU is the DTLS server");
        if (sections.Any(m => m.Mid is null)) throw new SdpException("every m= section needs a=mid");
        if (sections.Select(m => m.Mid).Distinct().Count() != sections.Count) throw new SdpException("a=mid values must be unique (RFC 8843 §7.2)");
        var limits = Node.Options.Offers;
        if (sections.Count > limits.MaxSectionsPerOffer) Refuse($"{sections.Count} m= sections, at most {limits.MaxSectionsPerOffer}");

        // A new ICE username means a new RTCPeerConnection (a reloaded page): start that participant afresh.
        bool replaced;
        lock (_gate) replaced = _peers.TryGetValue(participantId, out var existing) && existing.RemoteUfrag != ufrag;
        if (replaced) Remove(participantId);

        string answer;
        lock (_gate)
        {
            if (_closed) throw new InvalidOperationException("session closed");
            _peers.TryGetValue(participantId, out var known);
            CheckLimits(known, sections, limits);
            if (!_peers.TryGetValue(participantId, out var peer))
            {
                peer = new PeerConnection(participantId, this);
                if (!_quality.TryGetValue(participantId, out var quality)) _quality[participantId] = quality = new ParticipantQuality(participantId);
                peer.Quality = quality;
                _peers[participantId] = peer;
                Node.Register(peer);
                // The tracks already published reach the newcomer under its own payload types (Firefox:
                // Opus 109, VP8 120), so learn them before subscribing it.
                foreach (var section in sections) LearnPayloadType(peer, section);
                foreach (var other in _peers.Values.Where(p => p != peer))
                    foreach (var track in other.Sources()) Subscribe(peer, track);
            }
            peer.RemoteFingerprint = fingerprint[8..].Trim();
            peer.RemoteUfrag = ufrag;
            if (peer.OfferPending) { peer.OfferPending = false; peer.NeedsOffer = true; } // glare: theirs wins, ours is re-sent

            var answered = new List<MediaLine>();
            var publishing = new HashSet<uint>();
            var publishingSimulcast = new HashSet<string>();
            foreach (var section in sections)
            {
                var line = peer.Lines.FirstOrDefault(l => l.Mid == section.Mid);
                if (line?.LocalSsrc is not null)
                {
                    // A section we offered earlier: keep sending on it while the browser still receives.
                    line.Direction = section.Direction is "recvonly" or "sendrecv" && line.Direction == "sendonly" ? "sendonly" : "inactive";
                    answered.Add(line);
                    continue;
                }
                var payloadType = LearnPayloadType(peer, section);
                line ??= new MediaLine { Mid = section.Mid!, Kind = section.Kind, Protocol = section.Protocol };
                if (!peer.Lines.Contains(line)) peer.Lines.Add(line);
                line.PayloadType = payloadType;
                line.RtxPayloadType = payloadType is { } primary && section.Kind == "video" ? section.RtxPayloadTypeFor(primary) : null;
                line.Direction = section.Sends ? "recvonly" : "inactive";
                var rids = payloadType is not null && section.Kind == "video" && section.Sends && section.IdOf(Rtp.RtpStreamId.RidUri) is not null
                    ? section.SendRids() : [];
                line.RemoteSsrc = section.Sends && rids.Count == 0 ? section.FirstSsrc : null;
                line.Extensions.Clear();
                line.ReceiveRids.Clear();
                if (Node.Options.TransportWideFeedback && section.Sends && payloadType is not null && section.IdOf(Rtp.TransportFeedback.ExtensionUri) is { } transportCc)
                {
                    line.Extensions.Add((transportCc, Rtp.TransportFeedback.ExtensionUri));
                    peer.TransportCcId = transportCc;
                }
                if (rids.Count > 0 && payloadType is { } layersPt)
                {
                    AcceptSimulcast(peer, section, line, rids, layersPt);
                    publishingSimulcast.Add(section.Mid!);
                }
                else if (payloadType is { } publishedPt && line.RemoteSsrc is { } ssrc && section.Sends)
                {
                    publishing.Add(ssrc);
                    if (!peer.Published.TryGetValue(ssrc, out var track))
                    {
                        track = new PublishedTrack(peer, section.Kind, section.Mid!, ssrc, publishedPt);
                        track.Recorder = Capture?.Record(track);
                        peer.Published[ssrc] = track;
                        foreach (var other in _peers.Values.Where(p => p != peer)) Subscribe(other, track);
                    }
                    if (track.RtxSsrc is null && line.RtxPayloadType is { } rtx && section.RepairSsrcFor(ssrc) is { } repair)
                    {
                        (track.RtxSsrc, track.RtxPayloadType) = (repair, rtx);
                        track.Receiver.RetransmitsWithRtx(true);
                        peer.RepairStreams[repair] = track;
                    }
                }
                answered.Add(line);
            }
            // Keep the browser's m= order; sections only we know of (forwarded, not yet offered) follow. Its own sections
            // that the offer no longer lists are gone (a browser never drops one, RFC 8829 §5.2.2): fresh mids replace them.
            var pending = peer.Lines.Where(l => !answered.Contains(l) && l.LocalSsrc is not null).ToList();
            peer.Lines.Clear();
            peer.Lines.AddRange(answered.Concat(pending));
            foreach (var gone in peer.Published.Values.Where(t => t.Simulcast is null && !publishing.Contains(t.Ssrc)).ToList()) Unpublish(gone);
            foreach (var gone in peer.Simulcasts.Values.Where(s => !publishingSimulcast.Contains(s.Mid)).ToList()) Unpublish(gone.Top);
            if (peer.Lines.Any(l => l.LocalSsrc is not null && !answered.Contains(l))) peer.NeedsOffer = true;
            answer = SdpWriter.Write(answered, Node.LocalTransport(peer), peer.SdpSessionId, ++peer.SdpVersion, isOffer: false);
        }
        ScheduleOffers(participantId);
        return answer;
    }

    /// <summary>Applies a participant's answer to our offer: the forwarded tracks it accepted start flowing.</summary>
    public void AcceptAnswer(string participantId, string answerSdp)
    {
        var answer = SessionDescription.Parse(answerSdp);
        var keyframes = new List<PublishedTrack>();
        lock (_gate)
        {
            if (!_peers.TryGetValue(participantId, out var peer)) throw new SdpException("no offer is pending for this participant");
            peer.OfferPending = false;
            foreach (var section in answer.Media)
            {
                var line = peer.Lines.FirstOrDefault(l => l.Mid == section.Mid && l.LocalSsrc is not null);
                if (line is null || !peer.Forwarded.TryGetValue(line.LocalSsrc!.Value, out var forwarded)) continue;
                var accepted = section.Port != 0 && section.Direction is "recvonly" or "sendrecv";
                if (accepted && !forwarded.Active && forwarded.Source.Kind == "video") keyframes.Add(forwarded.KeyframeSource);
                forwarded.RtxAccepted = forwarded.RtxPayloadType is { } rtx && section.Formats.Contains(rtx.ToString());
                forwarded.AbsSendTimeId = line.Extensions.Any(e => e.Uri == Rtp.AbsSendTime.Uri) ? section.IdOf(Rtp.AbsSendTime.Uri) ?? 0 : 0;
                forwarded.Active = accepted;
            }
        }
        foreach (var track in keyframes) Node.RequestKeyframe(track);
        ScheduleOffers(null);
    }

    /// <summary>The participant left: their tracks end for everyone else.</summary>
    public void Remove(string participantId)
    {
        lock (_gate)
        {
            if (!_peers.Remove(participantId, out var peer)) return;
            foreach (var track in peer.Sources().ToList()) Unpublish(track);
            foreach (var forwarded in peer.Forwarded.Values)
                forwarded.Source.Subscribers = forwarded.Source.Subscribers.Where(f => f != forwarded).ToArray();
            peer.State = PeerState.Closed;
            Node.Unregister(peer);
        }
        ScheduleOffers(null);
    }

    /// <summary>Starts writing every published track (present and future) into <paramref name="directory"/>.</summary>
    public Recording.CallCapture StartCapture(string directory)
    {
        lock (_gate)
        {
            if (Capture is not null) return Capture;
            Capture = new Recording.CallCapture(directory, Node.Counters, Node.Options.Capture, Node.CaptureQuotas.For(Id));
            // Simulcast layers are recorded once their SSRC is known (BindLayer).
            foreach (var track in _peers.Values.SelectMany(p => p.Published.Values).Where(t => t.Recorded))
                track.Recorder = Capture.Record(track);
            return Capture;
        }
    }

    /// <summary>Each participant's call quality so far, those who left included (<see cref="ParticipantQualitySnapshot.Connected"/> false).</summary>
    public IReadOnlyList<ParticipantQualitySnapshot> Quality()
    {
        lock (_gate)
            return _quality.Values.Select(q => q.Snapshot(!_closed && _peers.TryGetValue(q.ParticipantId, out var peer) && peer.State == PeerState.Connected)).ToList();
    }

    public void Close()
    {
        string[] everyone;
        lock (_gate)
        {
            _closed = true;
            everyone = [.. _peers.Keys];
        }
        foreach (var id in everyone) Remove(id);
        Capture?.Dispose();
        Node.CloseSession(this);
    }

    internal void Drop(PeerConnection peer, string reason)
    {
        lock (_gate) { if (!_peers.TryGetValue(peer.ParticipantId, out var current) || current != peer) return; }
        Remove(peer.ParticipantId);
        Node.Faults.Notify(ParticipantDropped, peer.ParticipantId, reason);
    }

    internal void Connected(PeerConnection peer)
    {
        foreach (var forwarded in peer.Forwarded.Values.Where(f => f.Active && f.Source.Kind == "video")) Node.RequestKeyframe(forwarded.KeyframeSource);
        Node.Faults.Notify(ParticipantConnected, peer.ParticipantId);
    }

    internal IEnumerable<PeerConnection> PeersSnapshot() { lock (_gate) return [.. _peers.Values]; }

    /// <summary>
    /// Refuses, before any of it is applied, an offer that would publish more tracks than a participant or the call may
    /// have, or leave the participant more m= lines than it may keep (<see cref="OfferLimits"/>).
    /// </summary>
    private void CheckLimits(PeerConnection? peer, IReadOnlyList<MediaDescription> sections, OfferLimits limits)
    {
        bool Forwarded(MediaDescription section) => peer?.Lines.Any(l => l.Mid == section.Mid && l.LocalSsrc is not null) == true;
        var publishing = sections.Where(m => m.Sends && !Forwarded(m) && Codecs.NameFor(m.Kind) is { } codec && m.PayloadTypeOf(codec) is not null
            && (m.FirstSsrc is not null || m.SendRids().Count > 0)).ToList();
        foreach (var kind in publishing.GroupBy(m => m.Kind))
            if (kind.Count() > limits.MaxSendingSectionsPerKind)
                Refuse($"{kind.Count()} sending {kind.Key} sections, at most {limits.MaxSendingSectionsPerKind} per participant");
        // Each simulcast layer is a stream of its own to receive, buffer and report on.
        var othersStreams = _peers.Values.Where(p => p != peer).Sum(p => p.Published.Values.Count(t => t.Simulcast is null) + p.Simulcasts.Values.Sum(s => s.Layers.Length));
        var streams = publishing.Sum(m => Math.Max(1, m.SendRids().Count));
        if (othersStreams + streams > limits.MaxPublishedTracksPerCall)
            Refuse($"the call would have {othersStreams + streams} published streams, at most {limits.MaxPublishedTracksPerCall}");
        var othersPublish = _peers.Values.Where(p => p != peer).Sum(p => p.Sources().Count());
        // Its lines after this offer: the offer's sections, our forwarded sections it has not seen yet, and (joining) one
        // line per track it will receive.
        var offered = sections.Select(m => m.Mid).ToHashSet();
        var lines = peer is null
            ? sections.Count + othersPublish
            : sections.Count + peer.Lines.Count(l => l.LocalSsrc is not null && !offered.Contains(l.Mid));
        if (lines > limits.MaxLinesPerPeer) Refuse($"{lines} m= lines for one participant, at most {limits.MaxLinesPerPeer}");
    }

    private void Refuse(string reason)
    {
        Interlocked.Increment(ref Node.Counters.OffersRefused);
        throw new OfferRefusedException(reason);
    }

    /// <summary>The payload type the participant gives our codec of this section's kind, remembered for what we forward to it.</summary>
    private static int? LearnPayloadType(PeerConnection peer, MediaDescription section)
    {
        var codec = Codecs.NameFor(section.Kind);
        var payloadType = codec is null ? null : section.PayloadTypeOf(codec);
        if (payloadType is { } pt)
        {
            if (section.Kind == "audio") peer.OpusPayloadType = pt;
            else (peer.Vp8PayloadType, peer.Vp8RtxPayloadType) = (pt, section.RtxPayloadTypeFor(pt));
        }
        if (section.Kind == "video" && section.IdOf(Rtp.AbsSendTime.Uri) is { } absSendTime) peer.AbsSendTimeId = absSendTime;
        return payloadType;
    }

    private void Subscribe(PeerConnection subscriber, PublishedTrack track)
    {
        // At its line limit a subscriber gets the new track on a line whose track ended (same kind, now inactive)
        // rather than a new one: participants who come and go must not grow everyone else's description forever.
        MediaLine? line = null;
        if (subscriber.Lines.Count >= Node.Options.Offers.MaxLinesPerPeer)
        {
            line = subscriber.Lines.FirstOrDefault(l => l.Kind == track.Kind && l.LocalSsrc is { } old && l.Direction == "inactive" && !subscriber.Forwarded.ContainsKey(old));
            if (line is null) { Interlocked.Increment(ref Node.Counters.SubscriptionsRefused); return; }
            Interlocked.Increment(ref Node.Counters.LinesRecycled);
        }
        var mid = line?.Mid ?? NewMid(subscriber, track.Kind);
        var forwarded = new ForwardedTrack(subscriber, track, mid, (byte)subscriber.PayloadTypeFor(track.Kind));
        if (track.Kind == "video" && subscriber.Vp8RtxPayloadType is { } rtx) forwarded.RtxPayloadType = (byte)rtx;
        subscriber.Forwarded[forwarded.LocalSsrc] = forwarded;
        if (line is null) subscriber.Lines.Add(line = new MediaLine { Mid = mid, Kind = track.Kind });
        line.PayloadType = forwarded.PayloadType;
        line.RtxPayloadType = forwarded.RtxPayloadType;
        line.LocalRtxSsrc = forwarded.RtxPayloadType is null ? null : forwarded.RtxSsrc;
        line.Direction = "sendonly";
        line.LocalSsrc = forwarded.LocalSsrc;
        line.StreamId = track.Publisher.ParticipantId;
        line.TrackId = track.TrackId;
        if (track.Kind == "video" && subscriber.AbsSendTimeId is { } absSendTime && !line.Extensions.Any(e => e.Uri == Rtp.AbsSendTime.Uri))
            line.Extensions.Add((absSendTime, Rtp.AbsSendTime.Uri));
        if (track.Simulcast is { } simulcast) forwarded.TargetLayer = simulcast.Layers.Length - 1;
        track.Subscribers = [.. track.Subscribers, forwarded];
        subscriber.NeedsOffer = true;
    }

    /// <summary>A mid of ours the participant's own sections do not already use.</summary>
    private static string NewMid(PeerConnection subscriber, string kind)
    {
        string mid;
        do mid = $"{kind[0]}{subscriber.NextMid++}";
        while (subscriber.Lines.Any(l => l.Mid == mid));
        return mid;
    }

    private void Unpublish(PublishedTrack track)
    {
        var publisher = track.Publisher;
        if (track.Simulcast is { } simulcast) publisher.Simulcasts.TryRemove(new KeyValuePair<string, SimulcastTrack>(simulcast.Mid, simulcast));
        foreach (var stream in track.Simulcast?.Layers ?? [track])
        {
            if (stream.Ssrc != 0) publisher.Published.TryRemove(new KeyValuePair<uint, PublishedTrack>(stream.Ssrc, stream));
            if (stream.RtxSsrc is { } repair) publisher.RepairStreams.TryRemove(new KeyValuePair<uint, PublishedTrack>(repair, stream));
            // Detaching first hands the recorder what its receive buffer still holds.
            var recorder = stream.Recorder;
            stream.Recorder = null;
            recorder?.Dispose();
        }
        foreach (var forwarded in track.Subscribers)
        {
            forwarded.Active = false;
            forwarded.Subscriber.Forwarded.TryRemove(forwarded.LocalSsrc, out _);
            var line = forwarded.Subscriber.Lines.FirstOrDefault(l => l.LocalSsrc == forwarded.LocalSsrc);
            if (line is not null) line.Direction = "inactive";
            forwarded.Subscriber.NeedsOffer = true;
        }
        track.Subscribers = [];
    }

    /// <summary>
    /// A sending section with simulcast (RFC 8853): answered with the same rids to receive and the header extensions that
    /// name each layer's RTP stream (RFC 8852), published once as a <see cref="SimulcastTrack"/> whose layers bind later.
    /// </summary>
    private void AcceptSimulcast(PeerConnection peer, MediaDescription section, MediaLine line, IReadOnlyList<string> rids, int payloadType)
    {
        line.ReceiveRids.AddRange(rids);
        peer.RidExtensionId = section.IdOf(Rtp.RtpStreamId.RidUri) ?? 0;
        peer.MidExtensionId = section.IdOf(Rtp.RtpStreamId.MidUri) ?? 0;
        peer.RepairedRidExtensionId = line.RtxPayloadType is null ? 0 : section.IdOf(Rtp.RtpStreamId.RepairedRidUri) ?? 0;
        if (peer.MidExtensionId != 0) line.Extensions.Add((peer.MidExtensionId, Rtp.RtpStreamId.MidUri));
        line.Extensions.Add((peer.RidExtensionId, Rtp.RtpStreamId.RidUri));
        if (peer.RepairedRidExtensionId != 0) line.Extensions.Add((peer.RepairedRidExtensionId, Rtp.RtpStreamId.RepairedRidUri));
        if (peer.Simulcasts.ContainsKey(section.Mid!)) return;
        var simulcast = new SimulcastTrack(peer, section.Mid!, rids, payloadType, line.RtxPayloadType);
        peer.Simulcasts[simulcast.Mid] = simulcast;
        foreach (var other in _peers.Values.Where(p => p != peer)) Subscribe(other, simulcast.Top);
    }

    /// <summary>
    /// Learns the SSRC of a simulcast layer, or of the RTX stream repairing one, from a packet whose header extensions
    /// name its section (MID) and layer (RtpStreamId or RepairedRtpStreamId, RFC 8852 §3–4). Each layer binds once, to a
    /// payload type of its section and an SSRC the participant does not use yet; anything else is refused (null).
    /// </summary>
    internal PublishedTrack? BindLayer(PeerConnection peer, Span<byte> packet)
    {
        var rid = Rtp.RtpStreamId.Read(packet, peer.RidExtensionId);
        var repaired = rid is null ? Rtp.RtpStreamId.Read(packet, peer.RepairedRidExtensionId) : null;
        if (rid is null && repaired is null) return null;
        var mid = Rtp.RtpStreamId.Read(packet, peer.MidExtensionId);
        var simulcast = mid is not null ? peer.Simulcasts.GetValueOrDefault(mid) : peer.Simulcasts.Count == 1 ? peer.Simulcasts.Values.First() : null;
        var index = simulcast?.IndexOf(rid ?? repaired!) ?? -1;
        if (index < 0) return null;
        var layer = simulcast!.Layers[index];
        var ssrc = Rtp.RtpHeader.Ssrc(packet);
        var payloadType = Rtp.RtpHeader.PayloadType(packet);
        lock (_gate)
        {
            if (peer.State == PeerState.Closed || !peer.Simulcasts.ContainsKey(simulcast.Mid) || ssrc == 0
                || peer.Published.ContainsKey(ssrc) || peer.RepairStreams.ContainsKey(ssrc)) return null;
            if (rid is not null)
            {
                if (layer.Ssrc != 0 || payloadType != layer.PayloadType) return null;
                layer.Ssrc = ssrc;
                peer.Published[ssrc] = layer;
                if (layer.Recorded && Capture is not null) layer.Recorder = Capture.Record(layer);
            }
            else
            {
                if (layer.RtxSsrc is not null || simulcast.RtxPayloadType is not { } rtx || payloadType != rtx) return null;
                (layer.RtxSsrc, layer.RtxPayloadType) = (ssrc, rtx);
                layer.Receiver.RetransmitsWithRtx(true);
                peer.RepairStreams[ssrc] = layer;
            }
            Interlocked.Increment(ref Node.Counters.SimulcastStreamsBound);
            return layer;
        }
    }

    /// <summary>Sends an offer to every participant whose forwarded tracks changed and who has none outstanding.</summary>
    private void ScheduleOffers(string? justAnswered)
    {
        var offers = new List<(string Participant, string Sdp)>();
        lock (_gate)
        {
            foreach (var peer in _peers.Values.Where(p => p.NeedsOffer && !p.OfferPending))
            {
                // A peer whose own offer we never answered has no transport yet to negotiate over.
                if (peer.SdpVersion == 0) continue;
                peer.NeedsOffer = false;
                peer.OfferPending = true;
                offers.Add((peer.ParticipantId, SdpWriter.Write(peer.Lines, Node.LocalTransport(peer), peer.SdpSessionId, ++peer.SdpVersion, isOffer: true)));
            }
        }
        foreach (var (participant, sdp) in offers)
        {
            // The participant that just offered must get our answer before our own offer.
            if (participant == justAnswered) _ = Task.Delay(150).ContinueWith(_ => Node.Faults.Notify(OfferReady, participant, sdp), TaskScheduler.Default);
            else Node.Faults.Notify(OfferReady, participant, sdp);
        }
    }
}
