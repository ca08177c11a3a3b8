using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Voki.Media.Dtls;
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
    private readonly ConcurrentDictionary<string, SfuSession> _sessions = new();
    private static readonly TimeSpan NackInterval = TimeSpan.FromMilliseconds(10);
    private readonly Thread _receiver, _timer, _nacker;
    private volatile bool _running = true;
    // Each of the node's jobs (livekit's pkg/sfu is the model): who a source address is, ICE, DTLS, RTP forwarding,
    // the RTCP peers send, what publishers are told about their uplink, and the once-a-second reports.
    private readonly PeerPaths _paths;
    private readonly PeerSender _sender;
    private readonly StunResponder _stun;
    private readonly DtlsTransports _dtls;
    private readonly RtpForwarder _forwarder;
    private readonly RtcpReceiver _rtcp;
    private readonly UplinkControl _uplink;
    private readonly RtcpReporter _reporter;

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
        _paths = new PeerPaths(Counters);
        _sender = new PeerSender(_socket);
        _stun = new StunResponder(_byUfrag, _paths, _sender, Counters);
        _dtls = new DtlsTransports(options, Counters, _paths, _sender, Certificate);
        _uplink = new UplinkControl(_sender, Counters, Faults);
        _forwarder = new RtpForwarder(_sender, Counters, _uplink);
        _rtcp = new RtcpReceiver(options, Counters, _sender, _uplink);
        _reporter = new RtcpReporter(options, Counters, Faults, _sender, _uplink, _dtls, sample => Faults.Notify(QualitySampled, sample));
        _receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = "media-receive", Priority = ThreadPriority.AboveNormal };
        _timer = new Thread(TimerLoop) { IsBackground = true, Name = "media-rtcp" };
        _nacker = new Thread(NackLoop) { IsBackground = true, Name = "media-nack" };
        _receiver.Start();
        _timer.Start();
        _nacker.Start();
        _dtls.WarmUp();
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
        _paths.Forget(peer);
        peer.Dtls?.Close();
    }

    /// <summary>Asks the publisher for a keyframe (PLI), at most twice a second per track.</summary>
    internal void RequestKeyframe(PublishedTrack track) => _uplink.RequestKeyframe(track);

    /// <summary>Each connected participant's figures, once a second (on the RTCP timer: handlers must be quick).</summary>
    public event Action<QualitySample>? QualitySampled;

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
                    case < 4: _stun.OnStun(datagram, from); break;
                    case >= 20 and <= 63: _dtls.OnDtls(datagram, from); break;
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

    /// <summary>SRTP or SRTCP (RFC 3711): authenticated against the keys of the path it came from, or of a candidate path it then confirms.</summary>
    private void OnMedia(byte[] buffer, int length, SocketAddress from)
    {
        int plainLength;
        bool rtcp;
        if (_paths.TryGet(from, out var peer) && peer.Inbound is { } inbound)
        {
            rtcp = RtpHeader.IsRtcp(buffer.AsSpan(0, length));
            var outcome = rtcp ? inbound.UnprotectRtcp(buffer, length, out plainLength) : inbound.UnprotectRtp(buffer, length, out plainLength);
            if (outcome != SrtpOutcome.Authentic) { CountSrtpFailure(outcome); return; }
        }
        else if (peer is null && _paths.IsCandidate(from))
        {
            if ((peer = TryMovePath(buffer, length, from, out plainLength, out rtcp)) is null) return;
        }
        else
        {
            Interlocked.Increment(ref Counters.MediaUnknownSource); // no one's path, or SRTP before the keys
            return;
        }
        if (rtcp) _rtcp.OnRtcp(peer, buffer.AsSpan(0, plainLength));
        else _forwarder.OnRtp(peer, buffer, plainLength);
    }

    /// <summary>
    /// A datagram from a candidate path: when it is the participant's SRTP or SRTCP, the participant moved, and its
    /// media follows it from here on. Returns the peer when it did.
    /// </summary>
    private PeerConnection? TryMovePath(byte[] buffer, int length, SocketAddress from, out int plainLength, out bool rtcp)
    {
        plainLength = 0;
        rtcp = RtpHeader.IsRtcp(buffer.AsSpan(0, length));
        if (!_paths.TryGetCandidate(from, out var peer) || peer.Inbound is not { } inbound)
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
        return _paths.Move(peer, from) ? peer : null;
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
    /// Every <see cref="NackInterval"/>: each publisher's uplink repair and feedback (<see cref="UplinkControl.Tick"/>),
    /// and the padding that probes each subscriber's downlink.
    /// </summary>
    private void NackLoop()
    {
        var ticks = 0;
        while (_running)
        {
            Thread.Sleep(NackInterval);
            var now = Now;
            var feedbackDue = ++ticks % UplinkControl.TransportFeedbackEvery == 0;
            foreach (var (_, peer) in _byUfrag)
            {
                if (peer.State != PeerState.Connected) continue;
                try { _forwarder.SendProbePadding(peer, now); }
                catch (Exception e) { Faults.Record(MediaFaultSite.BackgroundThread, e); }
                _uplink.Tick(peer, now, feedbackDue);
            }
        }
    }

    /// <summary>Once a second: receiver reports and REMB to publishers, sender reports to subscribers, consent checks (<see cref="RtcpReporter"/>).</summary>
    private void TimerLoop()
    {
        while (_running)
        {
            Thread.Sleep(1000);
            _reporter.Tick(_sessions.Values, DateTime.UtcNow);
        }
    }

    public void Dispose()
    {
        _running = false;
        foreach (var session in _sessions.Values) session.Close();
        _socket.Dispose();
        _dtls.Dispose();
    }
}
