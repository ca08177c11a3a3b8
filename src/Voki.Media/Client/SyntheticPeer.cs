using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Voki.Media.Dtls;
using Voki.Media.Ice;
using Voki.Media.Rtp;
using Voki.Media.Sdp;
using Voki.Media.Srtp;

namespace Voki.Media.Client;

/// <summary>A packet a synthetic peer received: who sent it (SSRC), its sequence and timestamp, and when it arrived.</summary>
/// <remarks><paramref name="Retransmitted"/>: it came as RTX (RFC 4588) and was unwrapped to the original stream.
/// <paramref name="Payload"/>: the payload's bytes, only when the peer was told to keep them (<see cref="SyntheticPeer.KeepPayloads"/>).</remarks>
public readonly record struct ReceivedPacket(uint Ssrc, byte PayloadType, ushort Sequence, uint Timestamp, int PayloadLength, long ArrivalTicks, long SentTicks,
    bool Retransmitted = false, byte[]? Payload = null);

/// <summary>
/// Our own stack in the browser's place (client mode): offers audio and video, runs ICE as the
/// controlling agent, DTLS as the client, then sends and receives SRTP. The SFU tests and the
/// load tool (bench/sfu) use it, so they exercise every protocol layer a browser does. Like a browser, it keeps
/// its recent video packets and resends them when NACKed (RFC 4585 §6.2.1), as RTX (RFC 4588) when it offered RTX
/// and the answer kept it; and it can drop a share of its outgoing video, as a lossy uplink would.
/// </summary>
public sealed class SyntheticPeer : IDisposable
{
    public const int OpusPayloadType = 111, Vp8PayloadType = 96, RtxPayloadType = 97;
    private const int HistorySize = 1024;

    private volatile Socket _socket;
    private readonly DtlsCertificate _certificate = DtlsCertificate.Generate("synthetic");
    private readonly string _ufrag = Convert.ToHexString(RandomNumberGenerator.GetBytes(4));
    private readonly string _password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
    private readonly QueuedDatagramTransport _dtls;
    private readonly Thread _receiver;
    private readonly object _sendGate = new();
    private readonly byte[] _sendBuffer = new byte[1600];
    private IPEndPoint? _server;
    private readonly string _candidate;
    private SrtpContext? _inbound, _outbound;
    private DtlsTransport? _dtlsRecords;
    private volatile bool _running = true;
    private TaskCompletionSource _stunAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ushort _audioSequence, _videoSequence, _rtxSequence;
    private readonly byte[][] _history = new byte[HistorySize][];
    private readonly int[] _historyLengths = new int[HistorySize];
    private readonly ushort[] _historySequences = new ushort[HistorySize];
    private Random? _loss;
    private bool _sendRtx;
    // What the SFU retransmits to us as RTX: its RTX payload type and SSRC → the primary SSRC (ssrc-group FID).
    private int? _receiveRtxPayloadType;
    private readonly Dictionary<uint, uint> _repairedSsrcs = [];
    private readonly byte[] _unwrapped = new byte[2048];

    public uint AudioSsrc { get; } = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
    public uint VideoSsrc { get; } = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
    public uint VideoRtxSsrc { get; } = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
    /// <summary>Offer RTX for VP8 (payload type 97, ssrc-group FID), as browsers do; also accept it in answers.</summary>
    public bool OfferRtx { get; init; }
    /// <summary>The share of outgoing video packets (first sends and resends) lost on the way to the SFU.</summary>
    public double UplinkVideoLoss { get; init; }
    /// <summary>Resend what NACKs ask for (a browser does); false makes a sender that never does.</summary>
    public bool AnswerNacks { get; init; } = true;
    /// <summary>Whether it answers the SFU's sender reports with a report block of its own (LSR, no loss): off for a test that sends its own.</summary>
    public bool AnswerSenderReports { get; init; } = true;
    /// <summary>Seeds the uplink loss, so a test loses the same packets every run.</summary>
    public int LossSeed { get; init; } = 1;
    public long VideoPacketsDropped, NacksReceived, PacketsResent;
    /// <summary>Received video packets (by SSRC and sequence number) to lose on the way in, before SRTP sees them.</summary>
    public Func<uint, ushort, bool>? DropIncomingVideo { get; init; }
    /// <summary>Video packets sent for the first time (lost on the uplink or not).</summary>
    public long VideoPacketsSent => _videoSequence;
    public SrtpProfile[] OfferedProfiles { get; init; } = SrtpProfiles.Preference;
    /// <summary>Publish video as simulcast (RFC 8853) with these rids, lowest first, as the pages do: no a=ssrc, each layer's
    /// SSRC named by the RtpStreamId header extension (RFC 8852) of its packets; send with <see cref="SendLayer"/>.</summary>
    public string[]? SimulcastRids { get; init; }
    public const int MidExtensionId = 4, RidExtensionId = 10, RepairedRidExtensionId = 11;
    /// <summary>Each simulcast layer's SSRC, lowest first.</summary>
    public uint[] LayerSsrcs { get; } = [.. Enumerable.Range(0, 3).Select(_ => (uint)Random.Shared.NextInt64(1, uint.MaxValue))];
    private readonly ushort[] _layerSequences = new ushort[3];
    /// <summary>Keep each received packet's payload in <see cref="ReceivedPacket.Payload"/>.</summary>
    public bool KeepPayloads { get; init; }
    /// <summary>Overwrite each payload's last 8 bytes with the send time (and read them on receipt), for latency figures.</summary>
    public bool StampSendTime { get; init; }
    /// <summary>Decides which datagrams the network between us and the server loses, in each direction (true: dropped).</summary>
    public DatagramFilter? DropOutgoing { get; init; }
    public DatagramFilter? DropIncoming { get; init; }
    public event Action<ReceivedPacket>? PacketReceived;
    public long RtcpReceived;
    /// <summary>Each report block of the SFU's receiver reports about what this peer publishes (RFC 3550 §6.4.1).</summary>
    public event Action<ReportBlock>? ReportBlockReceived;
    public long PliReceived;

    /// <param name="bind">Loopback by default; a server that only listens on the machine's own interface (Janus) needs Any.</param>
    /// <param name="advertise">The address our host candidate names (default: the bound one, or loopback for Any).</param>
    public SyntheticPeer(IPAddress? bind = null, IPAddress? advertise = null)
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(bind ?? IPAddress.Loopback, 0));
        var port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        var address = advertise ?? (bind is null || bind.Equals(IPAddress.Any) ? IPAddress.Loopback : bind);
        _candidate = $"a=candidate:1 1 udp 2130706431 {address} {port} typ host";
        _dtls = new QueuedDatagramTransport(d => { if (_server is not null) Transmit(d.Span, _server); });
        _receiver = new Thread(() => ReceiveLoop(_socket)) { IsBackground = true, Name = "synthetic-peer" };
        _receiver.Start();
    }

    private bool Lose() => UplinkVideoLoss > 0 && (_loss ??= new Random(LossSeed)).NextDouble() < UplinkVideoLoss;

    /// <summary>A Unified Plan offer publishing one Opus and one VP8 track, as a browser writes it.</summary>
    /// <param name="dtlsClient">Insist on being the DTLS client (a=setup:active), for servers that would otherwise pick the client role.</param>
    public string CreateOffer(bool dtlsClient = false)
    {
        var sdp = new StringBuilder();
        void Line(string text) => sdp.Append(text).Append("\r\n");
        Line("v=0");
        Line($"o=- {Random.Shared.NextInt64(1, long.MaxValue)} 1 IN IP4 127.0.0.1");
        Line("s=-");
        Line("t=0 0");
        Line("a=group:BUNDLE 0 1");
        foreach (var (mid, kind, pt, codec, ssrc) in new[] { ("0", "audio", OpusPayloadType, "opus/48000/2", AudioSsrc), ("1", "video", Vp8PayloadType, "VP8/90000", VideoSsrc) })
        {
            var rtx = OfferRtx && kind == "video";
            Line($"m={kind} 9 UDP/TLS/RTP/SAVPF {pt}{(rtx ? $" {RtxPayloadType}" : "")}");
            Line("c=IN IP4 0.0.0.0");
            Line($"a=ice-ufrag:{_ufrag}");
            Line($"a=ice-pwd:{_password}");
            Line($"a=fingerprint:sha-256 {_certificate.FingerprintSha256}");
            Line(dtlsClient ? "a=setup:active" : "a=setup:actpass");
            Line($"a=mid:{mid}");
            Line("a=sendrecv");
            Line("a=rtcp-mux");
            Line($"a=rtpmap:{pt} {codec}");
            if (kind == "video") { Line($"a=rtcp-fb:{pt} nack"); Line($"a=rtcp-fb:{pt} nack pli"); }
            if (kind == "video" && SimulcastRids is { } rids)
            {
                Line($"a=extmap:{MidExtensionId} urn:ietf:params:rtp-hdrext:sdes:mid");
                Line($"a=extmap:{RidExtensionId} urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id");
                foreach (var rid in rids) Line($"a=rid:{rid} send");
                Line($"a=simulcast:send {string.Join(';', rids)}");
                Line(_candidate);
                Line("a=end-of-candidates");
                continue;
            }
            if (rtx)
            {
                Line($"a=rtpmap:{RtxPayloadType} rtx/90000");
                Line($"a=fmtp:{RtxPayloadType} apt={pt}");
                Line($"a=ssrc-group:FID {ssrc} {VideoRtxSsrc}");
            }
            Line($"a=ssrc:{ssrc} cname:synthetic");
            if (rtx) Line($"a=ssrc:{VideoRtxSsrc} cname:synthetic");
            Line(_candidate);
            Line("a=end-of-candidates");
        }
        return sdp.ToString();
    }

    /// <summary>
    /// An offer as Chromium writes it for one microphone and one camera: every codec it can send with its RTX, RED and
    /// FEC formats, header extensions and msid lines; VP8 keeps payload type 96 and its RTX 97 (as <see cref="OfferRtx"/>).
    /// </summary>
    public string CreateChromiumLikeOffer()
    {
        var sdp = new StringBuilder();
        void Line(string text) => sdp.Append(text).Append("\r\n");
        Line("v=0");
        Line($"o=- {Random.Shared.NextInt64(1, long.MaxValue)} 2 IN IP4 127.0.0.1");
        Line("s=-");
        Line("t=0 0");
        Line("a=group:BUNDLE 0 1");
        Line("a=extmap-allow-mixed");
        Line("a=msid-semantic: WMS stream");
        void Transport(string mid)
        {
            Line("c=IN IP4 0.0.0.0");
            Line("a=rtcp:9 IN IP4 0.0.0.0");
            Line(_candidate);
            Line($"a=ice-ufrag:{_ufrag}");
            Line($"a=ice-pwd:{_password}");
            Line("a=ice-options:trickle");
            Line($"a=fingerprint:sha-256 {_certificate.FingerprintSha256}");
            Line("a=setup:actpass");
            Line($"a=mid:{mid}");
        }
        Line("m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126");
        Transport("0");
        Line("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level");
        Line("a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time");
        Line("a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01");
        Line("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid");
        Line("a=sendrecv");
        Line("a=msid:stream audio-track");
        Line("a=rtcp-mux");
        Line("a=rtcp-rsize");
        Line("a=rtpmap:111 opus/48000/2");
        Line("a=rtcp-fb:111 transport-cc");
        Line("a=fmtp:111 minptime=10;useinbandfec=1");
        Line("a=rtpmap:63 red/48000/2");
        Line("a=fmtp:63 111/111");
        Line("a=rtpmap:9 G722/8000");
        Line("a=rtpmap:0 PCMU/8000");
        Line("a=rtpmap:8 PCMA/8000");
        Line("a=rtpmap:13 CN/8000");
        Line("a=rtpmap:110 telephone-event/48000");
        Line("a=rtpmap:126 telephone-event/8000");
        Line($"a=ssrc:{AudioSsrc} cname:chromium");
        Line($"a=ssrc:{AudioSsrc} msid:stream audio-track");
        Line("m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 45 46 102 103 127 125 35 36 114 115 116");
        Transport("1");
        Line("a=extmap:14 urn:ietf:params:rtp-hdrext:toffset");
        Line("a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time");
        Line("a=extmap:13 urn:3gpp:video-orientation");
        Line("a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01");
        Line("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid");
        Line("a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id");
        Line("a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id");
        Line("a=sendrecv");
        Line("a=msid:stream video-track");
        Line("a=rtcp-mux");
        Line("a=rtcp-rsize");
        foreach (var (pt, codec, fmtp) in new[] { (96, "VP8/90000", ""), (98, "VP9/90000", "profile-id=0"), (100, "VP9/90000", "profile-id=2"),
                     (45, "AV1/90000", "level-idx=5;profile=0;tier=0"), (102, "H264/90000", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"),
                     (127, "H264/90000", "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f"), (35, "H264/90000", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f") })
        {
            Line($"a=rtpmap:{pt} {codec}");
            foreach (var feedback in new[] { "goog-remb", "transport-cc", "ccm fir", "nack", "nack pli" }) Line($"a=rtcp-fb:{pt} {feedback}");
            if (fmtp.Length > 0) Line($"a=fmtp:{pt} {fmtp}");
            var rtx = pt switch { 96 => 97, 98 => 99, 100 => 101, 45 => 46, 102 => 103, 127 => 125, _ => 36 };
            Line($"a=rtpmap:{rtx} rtx/90000");
            Line($"a=fmtp:{rtx} apt={pt}");
        }
        Line("a=rtpmap:114 red/90000");
        Line("a=rtpmap:115 rtx/90000");
        Line("a=fmtp:115 apt=114");
        Line("a=rtpmap:116 ulpfec/90000");
        Line($"a=ssrc-group:FID {VideoSsrc} {VideoRtxSsrc}");
        foreach (var ssrc in new[] { VideoSsrc, VideoRtxSsrc })
        {
            Line($"a=ssrc:{ssrc} cname:chromium");
            Line($"a=ssrc:{ssrc} msid:stream video-track");
        }
        return sdp.ToString();
    }

    /// <summary>
    /// A hostile offer (issue 10): our ICE and DTLS identity, one audio and <paramref name="videoSections"/> sending video
    /// sections, each with an SSRC of its own, as small as a parser accepts so that many fit one signalling message.
    /// </summary>
    public string CreateOfferWithVideoSections(int videoSections)
    {
        var sdp = new StringBuilder();
        void Line(string text) => sdp.Append(text).Append("\r\n");
        Line("v=0");
        Line($"o=- {Random.Shared.NextInt64(1, long.MaxValue)} 1 IN IP4 127.0.0.1");
        Line("s=-");
        Line("t=0 0");
        Line($"a=ice-ufrag:{_ufrag}");
        Line($"a=ice-pwd:{_password}");
        Line($"a=fingerprint:sha-256 {_certificate.FingerprintSha256}");
        for (var i = 0; i <= videoSections; i++)
        {
            var (kind, pt, codec) = i == 0 ? ("audio", OpusPayloadType, "opus/48000/2") : ("video", Vp8PayloadType, "VP8/90000");
            Line($"m={kind} 9 UDP/TLS/RTP/SAVPF {pt}");
            Line($"a=mid:{i}");
            Line("a=sendonly");
            Line($"a=rtpmap:{pt} {codec}");
            Line($"a=ssrc:{(i == 0 ? AudioSsrc : (uint)(0x10000000 + i))} cname:x");
        }
        Line(_candidate);
        return sdp.ToString();
    }

    /// <summary>
    /// A hostile re-offer (issue 10): the same transport, but audio and video under fresh mids and fresh SSRCs, and none
    /// of the sections negotiated before, as if every renegotiation added new transceivers.
    /// </summary>
    public string CreateOfferWithFreshMids(int round) =>
        CreateOffer()
            .Replace("a=group:BUNDLE 0 1", $"a=group:BUNDLE r{round}a r{round}v")
            .Replace("a=mid:0", $"a=mid:r{round}a").Replace("a=mid:1", $"a=mid:r{round}v")
            .Replace($"a=ssrc:{AudioSsrc} ", $"a=ssrc:{(uint)(0x20000000 + 2 * round)} ")
            .Replace($"a=ssrc:{VideoSsrc} ", $"a=ssrc:{(uint)(0x20000001 + 2 * round)} ");

    /// <summary>Answers an SFU offer: every section it sends on, we receive.</summary>
    public string CreateAnswer(string offerSdp)
    {
        var offer = SessionDescription.Parse(offerSdp);
        var sdp = new StringBuilder();
        void Line(string text) => sdp.Append(text).Append("\r\n");
        Line("v=0");
        Line($"o=- {Random.Shared.NextInt64(1, long.MaxValue)} 2 IN IP4 127.0.0.1");
        Line("s=-");
        Line("t=0 0");
        foreach (var m in offer.Media)
        {
            var formats = m.Formats.ToList();
            var vp8 = m.PayloadTypeOf("VP8/90000");
            if (vp8 is { } primary && m.RtxPayloadTypeFor(primary) is { } rtx)
            {
                if (OfferRtx)
                {
                    lock (_repairedSsrcs)
                    {
                        _receiveRtxPayloadType = rtx;
                        foreach (var group in m.AttributeValues("ssrc-group"))
                            if (group.Split(' ') is ["FID", var media, var repair] && uint.TryParse(media, out var mediaSsrc) && uint.TryParse(repair, out var repairSsrc))
                                _repairedSsrcs[repairSsrc] = mediaSsrc;
                    }
                }
                else formats.Remove(rtx.ToString());
            }
            Line($"m={m.Kind} {(m.Port == 0 ? 0 : 9)} {m.Protocol} {string.Join(' ', formats)}");
            Line($"a=mid:{m.Mid}");
            Line($"a=ice-ufrag:{_ufrag}");
            Line($"a=ice-pwd:{_password}");
            Line($"a=fingerprint:sha-256 {_certificate.FingerprintSha256}");
            Line("a=setup:active");
            Line(m.Direction switch { "sendonly" => "a=recvonly", "recvonly" => "a=sendonly", "inactive" => "a=inactive", _ => "a=sendrecv" });
            Line("a=rtcp-mux");
            if (m.Port != 0) { Line(_candidate); Line("a=end-of-candidates"); }
        }
        return sdp.ToString();
    }

    /// <summary>ICE (nominating the SFU's one candidate) then the DTLS handshake; afterwards SRTP flows.</summary>
    /// <remarks>BouncyCastle retransmits our flights on its timers until the handshake completes or <paramref name="timeout"/> passes.</remarks>
    public async Task ConnectAsync(string answerSdp, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var remote = await RunIceAsync(answerSdp, timeout);
        var remaining = timeout - deadline.Elapsed;
        var client = new DtlsSrtpClient(new BcTlsCrypto(new SecureRandom()), _certificate, remote.Fingerprint, OfferedProfiles)
        {
            HandshakeTimeout = remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1),
        };
        _dtlsRecords = await Task.Run(() => new DtlsClientProtocol().Connect(client, _dtls)).WaitAsync(timeout);
        (_inbound, _outbound) = client.Keys!.ClientContexts();
        _remote = remote;
        KeepConsent(remote);
    }

    /// <summary>
    /// Moves to a new socket on <paramref name="host"/>, keys kept, as a peer whose NAT rebinds or whose network changes:
    /// checks the new path with STUN (nominating it) and from then on sends and receives there only.
    /// </summary>
    public async Task MoveToNewSocketAsync(IPAddress host, TimeSpan timeout)
    {
        if (_remote is not { } remote || _server is null) throw new InvalidOperationException("not connected");
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(host, 0));
        var old = _socket;
        _stunAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_sendGate) _socket = socket;
        old.Dispose();
        new Thread(() => ReceiveLoop(socket)) { IsBackground = true, Name = "synthetic-peer" }.Start();
        await NominateAsync(remote, timeout, "no STUN answer on the new path");
    }

    /// <summary>Where this peer's socket is bound now.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>
    /// The stalling peer of a hostile-peers test: passes ICE, sends the first fragment of a genuine
    /// ClientHello and then nothing on DTLS, only consent checks, as if its handshake hung.
    /// </summary>
    public async Task StallAfterClientHelloFragmentAsync(string answerSdp, TimeSpan timeout)
    {
        var remote = await RunIceAsync(answerSdp, timeout);
        var capture = new FirstDatagramCapture();
        var client = new DtlsSrtpClient(new BcTlsCrypto(new SecureRandom()), _certificate, remote.Fingerprint, OfferedProfiles);
        try { new DtlsClientProtocol().Connect(client, capture); } catch (Exception) { /* the capture ends the handshake after the ClientHello */ }
        Transmit(FirstFragment(capture.Datagram ?? throw new InvalidOperationException("no ClientHello was written")), _server!);
        KeepConsent(remote);
    }

    private RemoteIce? _remote;

    private readonly record struct RemoteIce(string Ufrag, string Password, string Fingerprint);

    private async Task<RemoteIce> RunIceAsync(string answerSdp, TimeSpan timeout)
    {
        var answer = SessionDescription.Parse(answerSdp);
        var media = answer.Media.First(m => m.Port != 0);
        var remote = new RemoteIce(answer.Find(media, "ice-ufrag")!, answer.Find(media, "ice-pwd")!, answer.Find(media, "fingerprint")![8..].Trim());
        var candidate = media.AttributeValues("candidate").First().Split(' ');
        _sendRtx = OfferRtx && answer.Media.Any(m => m.Kind == "video" && m.PayloadTypeOf("VP8/90000") is { } vp8 && m.RtxPayloadTypeFor(vp8) is not null);
        _server = new IPEndPoint(IPAddress.Parse(candidate[4]), int.Parse(candidate[5]));
        await NominateAsync(remote, timeout, "no STUN answer from the SFU");
        return remote;
    }

    /// <summary>Sends nominating binding requests (USE-CANDIDATE) every 100 ms until the SFU answers one.</summary>
    private async Task NominateAsync(RemoteIce remote, TimeSpan timeout, string timeoutMessage)
    {
        var deadline = Stopwatch.StartNew();
        while (!_stunAnswered.Task.IsCompleted)
        {
            if (deadline.Elapsed > timeout) throw new TimeoutException(timeoutMessage);
            Transmit(StunMessage.BindingRequest(RandomNumberGenerator.GetBytes(12), $"{remote.Ufrag}:{_ufrag}", remote.Password,
                0x6E0001FF, 42, useCandidate: true), _server!);
            await Task.WhenAny(_stunAnswered.Task, Task.Delay(100));
        }
    }

    /// <summary>Consent freshness (RFC 7675): keep answering the SFU's expectations while we run.</summary>
    private void KeepConsent(RemoteIce remote) => _ = Task.Run(async () =>
    {
        while (_running)
        {
            await Task.Delay(2000);
            if (_running) Transmit(StunMessage.BindingRequest(RandomNumberGenerator.GetBytes(12), $"{remote.Ufrag}:{_ufrag}", remote.Password,
                0x6E0001FF, 42, useCandidate: false), _server!);
        }
    });

    /// <summary>
    /// The first half of a one-record handshake message as a DTLS fragment (RFC 6347 §4.2.3): the
    /// message length stays whole, fragment_length and the record length cover only the first half.
    /// </summary>
    private static byte[] FirstFragment(byte[] record)
    {
        const int RecordHeader = 13, HandshakeHeader = 12;
        var body = record.Length - RecordHeader - HandshakeHeader;
        var half = body / 2;
        var fragment = record[..(RecordHeader + HandshakeHeader + half)];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(fragment.AsSpan(11), (ushort)(HandshakeHeader + half));
        fragment[RecordHeader + 9] = (byte)(half >> 16);
        fragment[RecordHeader + 10] = (byte)(half >> 8);
        fragment[RecordHeader + 11] = (byte)half;
        return fragment;
    }

    /// <summary>Keeps the first datagram a DTLS client writes (its ClientHello) and fails every read, ending the handshake.</summary>
    private sealed class FirstDatagramCapture : DatagramTransport
    {
        public byte[]? Datagram;
        public int GetReceiveLimit() => 1500;
        public int GetSendLimit() => 1200;
        public int Receive(byte[] buf, int off, int len, int waitMillis) => throw new TlsFatalAlert(AlertDescription.user_canceled);
        public int Receive(Span<byte> buffer, int waitMillis) => throw new TlsFatalAlert(AlertDescription.user_canceled);
        public void Send(byte[] buf, int off, int len) => Datagram ??= buf.AsSpan(off, len).ToArray();
        public void Send(ReadOnlySpan<byte> buffer) => Datagram ??= buffer.ToArray();
        public void Close() { }
    }

    public bool Connected => _outbound is not null;

    /// <summary>Ends the DTLS association with close_notify, as a browser closing its RTCPeerConnection does.</summary>
    public void HangUp()
    {
        _dtlsRecords?.Close();
        _running = false;
    }

    /// <summary>Sends one RTP packet on the audio or video SSRC.</summary>
    public void Send(bool video, ReadOnlySpan<byte> payload, uint timestamp, bool marker)
    {
        if (_outbound is null || _server is null) return;
        lock (_sendGate)
        {
            var packet = _sendBuffer.AsSpan();
            packet[0] = 0x80;
            packet[1] = (byte)((marker ? 0x80 : 0) | (video ? Vp8PayloadType : OpusPayloadType));
            var sequence = video ? _videoSequence++ : _audioSequence++;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet[2..], sequence);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(packet[4..], timestamp);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(packet[8..], video ? VideoSsrc : AudioSsrc);
            payload.CopyTo(packet[12..]);
            if (StampSendTime && payload.Length >= 8)
                System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(packet[(12 + payload.Length - 8)..], Stopwatch.GetTimestamp());
            if (video) Remember(sequence, packet[..(12 + payload.Length)]);
            if (video && Lose()) { Interlocked.Increment(ref VideoPacketsDropped); return; }
            var length = _outbound.ProtectRtp(_sendBuffer, 12 + payload.Length);
            Transmit(_sendBuffer.AsSpan(0, length), _server);
        }
    }

    /// <summary>
    /// Sends one VP8 packet of simulcast layer <paramref name="layer"/> on its own SSRC and sequence numbers; with
    /// <paramref name="named"/> it carries the MID and RtpStreamId extensions (RFC 8852), as a browser's first packets do.
    /// </summary>
    /// <param name="sequence">A sequence number from <see cref="ReserveLayerSequences"/>, to send packets out of order.</param>
    public void SendLayer(int layer, ReadOnlySpan<byte> payload, uint timestamp, bool marker, bool named = true, string? rid = null, uint? ssrc = null, ushort? sequence = null)
    {
        if (_outbound is null || _server is null || SimulcastRids is not { } rids) return;
        lock (_sendGate)
        {
            var packet = _sendBuffer.AsSpan();
            packet[0] = (byte)(0x80 | (named ? 0x10 : 0));
            packet[1] = (byte)((marker ? 0x80 : 0) | Vp8PayloadType);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet[2..], sequence ?? _layerSequences[layer]++);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(packet[4..], timestamp);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(packet[8..], ssrc ?? LayerSsrcs[layer]);
            var length = RtpHeader.FixedLength;
            if (named)
            {
                // One-byte extension block (RFC 8285 §4.2): MID "1", then the rid.
                var name = System.Text.Encoding.ASCII.GetBytes(rid ?? rids[layer]);
                var elements = new List<byte> { (byte)(MidExtensionId << 4), (byte)'1', (byte)((RidExtensionId << 4) | (name.Length - 1)) };
                elements.AddRange(name);
                while (elements.Count % 4 != 0) elements.Add(0);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet[length..], HeaderExtension.OneByteProfile);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet[(length + 2)..], (ushort)(elements.Count / 4));
                elements.ToArray().CopyTo(packet[(length + 4)..]);
                length += 4 + elements.Count;
            }
            payload.CopyTo(packet[length..]);
            var sent = _outbound.ProtectRtp(_sendBuffer, length + payload.Length);
            Transmit(_sendBuffer.AsSpan(0, sent), _server);
        }
    }

    /// <summary>Takes the next <paramref name="count"/> sequence numbers of a layer, returning the first, for <see cref="SendLayer"/> to send in any order.</summary>
    public ushort ReserveLayerSequences(int layer, int count)
    {
        lock (_sendGate)
        {
            var first = _layerSequences[layer];
            _layerSequences[layer] = (ushort)(first + count);
            return first;
        }
    }

    /// <summary>Asks the SFU to resend packets of a stream we receive (generic NACK, RFC 4585 §6.2.1).</summary>
    public void SendNack(uint mediaSsrc, params ushort[] sequences)
    {
        if (_outbound is null || _server is null) return;
        lock (_sendGate)
        {
            var length = GenericNack.Write(_sendBuffer, 0x5E11D, mediaSsrc, sequences);
            var sent = _outbound.ProtectRtcp(_sendBuffer, length);
            _socket.SendTo(_sendBuffer.AsSpan(0, sent), SocketFlags.None, _server);
        }
    }

    /// <summary>
    /// A hostile subscriber's NACK, for abuse tests: <paramref name="fcis"/> FCIs (a datagram of up to 2 KB holds 500)
    /// from <paramref name="first"/> on, 17 sequence numbers apart and every bitmask full, so it names 17 packets per FCI.
    /// </summary>
    public void SendNackStorm(uint mediaSsrc, ushort first, int fcis)
    {
        if (_outbound is null || _server is null) return;
        var nack = new byte[GenericNack.HeaderLength + fcis * GenericNack.FciLength + _outbound.RtcpOverhead];
        nack[0] = 0x80 | RtcpType.NackFormat;
        nack[1] = RtcpType.TransportFeedback;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(nack.AsSpan(2), (ushort)(2 + fcis));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(nack.AsSpan(4), 0x5E11D);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(nack.AsSpan(8), mediaSsrc);
        for (var i = 0; i < fcis; i++)
        {
            var at = GenericNack.HeaderLength + i * GenericNack.FciLength;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(nack.AsSpan(at), (ushort)(first + 17 * i));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(nack.AsSpan(at + 2), 0xFFFF);
        }
        lock (_sendGate)
        {
            var sent = _outbound.ProtectRtcp(nack, GenericNack.HeaderLength + fcis * GenericNack.FciLength);
            Transmit(nack.AsSpan(0, sent), _server);
        }
    }

    private void Remember(ushort sequence, ReadOnlySpan<byte> packet)
    {
        var slot = sequence % HistorySize;
        var entry = _history[slot] ??= new byte[1500];
        packet.CopyTo(entry);
        _historyLengths[slot] = packet.Length;
        _historySequences[slot] = sequence;
    }

    /// <summary>Resends what a NACK asks for from the history, as RTX when negotiated; resends can be lost too.</summary>
    private void Resend(ReadOnlySpan<ushort> sequences)
    {
        if (_outbound is null || _server is null) return;
        lock (_sendGate)
        {
            foreach (var sequence in sequences)
            {
                var slot = sequence % HistorySize;
                if (_historySequences[slot] != sequence || _historyLengths[slot] == 0) continue;
                var original = _history[slot].AsSpan(0, _historyLengths[slot]);
                int length;
                if (_sendRtx) length = RtxPacket.Wrap(original, RtpHeader.FixedLength, _sendBuffer, RtxPayloadType, _rtxSequence++, VideoRtxSsrc);
                else { original.CopyTo(_sendBuffer); length = original.Length; }
                Interlocked.Increment(ref PacketsResent);
                if (Lose()) { Interlocked.Increment(ref VideoPacketsDropped); continue; }
                var sent = _outbound.ProtectRtp(_sendBuffer, length);
                _socket.SendTo(_sendBuffer.AsSpan(0, sent), SocketFlags.None, _server);
            }
        }
    }

    private static ReadOnlySpan<ushort> NackedSequences(ReadOnlySpan<byte> nack)
    {
        var sequences = new ushort[HistorySize];
        return sequences.AsSpan(0, GenericNack.Read(nack, sequences).Count);
    }

    /// <summary>Answers a sender report at once with a receiver report block (LSR, DLSR 0), so the SFU can measure the RTT.</summary>
    private void AnswerSenderReport(ReadOnlySpan<byte> report)
    {
        if (_outbound is null || _server is null) return;
        var (ntp, _) = RtcpPacket.SenderReportTimes(report);
        lock (_sendGate)
        {
            var length = RtcpWriter.ReceiverReport(_sendBuffer, VideoSsrc, new RtcpPacket(report).SenderSsrc, 0, 0, 0, 0, (uint)(ntp >> 16), 0);
            var sent = _outbound.ProtectRtcp(_sendBuffer, length);
            _socket.SendTo(_sendBuffer.AsSpan(0, sent), SocketFlags.None, _server);
        }
    }

    /// <summary>Protects and sends an RTCP packet as given (at least 8 bytes, well-formed or not): for robustness tests.</summary>
    public void SendRtcp(ReadOnlySpan<byte> rtcp)
    {
        if (_outbound is null || _server is null) return;
        lock (_sendGate)
        {
            rtcp.CopyTo(_sendBuffer);
            var sent = _outbound.ProtectRtcp(_sendBuffer, rtcp.Length);
            Transmit(_sendBuffer.AsSpan(0, sent), _server);
        }
    }

    /// <summary>Sends a raw datagram to the SFU as-is: for robustness tests.</summary>
    public void SendRaw(ReadOnlySpan<byte> datagram)
    {
        if (_server is not null) Transmit(datagram, _server);
    }

    private void Transmit(ReadOnlySpan<byte> datagram, EndPoint to)
    {
        if (DropOutgoing?.Invoke(datagram) == true) return;
        try { _socket.SendTo(datagram, SocketFlags.None, to); }
        catch (ObjectDisposedException) { /* disposed while a timer still sends */ }
    }

    private void ReceiveLoop(Socket socket)
    {
        var buffer = new byte[2048];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (_running)
        {
            int length;
            try { length = socket.ReceiveFrom(buffer, ref from); }
            catch (SocketException) { continue; }
            catch (ObjectDisposedException) { return; }
            if (length == 0 || DropIncoming?.Invoke(buffer.AsSpan(0, length)) == true) continue;
            var arrival = Stopwatch.GetTimestamp();
            var first = buffer[0];
            if (first < 4)
            {
                var stun = StunMessage.TryParse(buffer.AsSpan(0, length));
                if (stun is { Type: StunMessageType.BindingSuccess }) _stunAnswered.TrySetResult();
                // A full ICE agent answers the other side's checks too (some servers check even in ICE-lite mode).
                else if (stun is { Type: StunMessageType.BindingRequest } && stun.VerifyIntegrity(_password))
                    Transmit(StunMessage.BindingSuccess(stun.TransactionId, (IPEndPoint)from, _password), from);
            }
            else if (first is >= 20 and <= 63) _dtls.Deliver(buffer.AsSpan(0, length));
            else if (first is >= 128 and <= 191 && _inbound is { } inbound)
            {
                if (RtpHeader.IsRtcp(buffer.AsSpan(0, length)))
                {
                    if (!inbound.TryUnprotectRtcp(buffer, length, out var rtcpLength)) continue;
                    Interlocked.Increment(ref RtcpReceived);
                    foreach (var (offset, size) in RtcpPacket.Split(buffer.AsSpan(0, rtcpLength)))
                    {
                        var rtcp = buffer.AsSpan(offset, size);
                        if (rtcp[1] == RtcpType.PayloadFeedback && (rtcp[0] & 0x1F) == RtcpType.PliFormat) Interlocked.Increment(ref PliReceived);
                        else if (rtcp[1] == RtcpType.TransportFeedback && (rtcp[0] & 0x1F) == RtcpType.NackFormat && new RtcpPacket(rtcp).MediaSsrc == VideoSsrc)
                        {
                            Interlocked.Increment(ref NacksReceived);
                            if (AnswerNacks) Resend(NackedSequences(rtcp));
                        }
                        else if (rtcp[1] == RtcpType.SenderReport && size >= 28) { if (AnswerSenderReports) AnswerSenderReport(rtcp); }
                        else if (rtcp[1] == RtcpType.ReceiverReport && ReportBlockReceived is { } reported)
                            foreach (var block in ReportBlock.Parse(rtcp)) reported(block);
                    }
                    continue;
                }
                if (DropIncomingVideo is { } drop && length >= RtpHeader.FixedLength && RtpHeader.PayloadType(buffer) == Vp8PayloadType
                    && drop(RtpHeader.Ssrc(buffer), RtpHeader.Sequence(buffer))) continue;
                if (!inbound.TryUnprotectRtp(buffer, length, out var plain)) continue;
                var packet = buffer.AsSpan(0, plain);
                var retransmitted = false;
                if (_receiveRtxPayloadType is { } rtxPt && RtpHeader.PayloadType(packet) == rtxPt)
                {
                    uint primary;
                    lock (_repairedSsrcs) { if (!_repairedSsrcs.TryGetValue(RtpHeader.Ssrc(packet), out primary)) continue; }
                    var unwrapped = RtxPacket.Unwrap(packet, _unwrapped, Vp8PayloadType, primary);
                    if (unwrapped < 0) continue;
                    packet = _unwrapped.AsSpan(0, unwrapped);
                    plain = unwrapped;
                    retransmitted = true;
                }
                var header = RtpHeader.Length(packet);
                var sent = StampSendTime && plain - header >= 8 ? System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(packet[(plain - 8)..]) : 0;
                PacketReceived?.Invoke(new ReceivedPacket(RtpHeader.Ssrc(packet), RtpHeader.PayloadType(packet), RtpHeader.Sequence(packet),
                    RtpHeader.Timestamp(packet), plain - header, arrival, sent, retransmitted, KeepPayloads ? packet[header..].ToArray() : null));
            }
        }
    }

    public void Dispose()
    {
        _running = false;
        _dtls.Close();
        _socket.Dispose();
    }
}
