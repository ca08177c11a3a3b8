using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Voki.Media.Dtls;
using Voki.Media.Sdp;
using Voki.Media.Srtp;

namespace Voki.Media.Sfu;

public enum PeerState { New, Connecting, Connected, Closed }

/// <summary>
/// One participant's transport to the SFU: ICE-lite credentials and the address learned from STUN,
/// the DTLS handshake, the SRTP contexts, and the negotiated m= sections.
/// </summary>
public sealed class PeerConnection
{
    public string ParticipantId { get; }
    public SfuSession Session { get; }
    public string LocalUfrag { get; } = RandomToken(8);
    public string LocalPassword { get; } = RandomToken(24);
    public PeerState State { get; internal set; } = PeerState.New;
    public IPEndPoint? RemoteEndPoint { get; internal set; }

    internal string RemoteFingerprint = "";
    internal string RemoteUfrag = "";
    internal SocketAddress? Address;
    internal DateTime LastConsent = DateTime.UtcNow;
    /// <summary>Other addresses that passed a STUN check once connected: the path moves to one when SRTP comes from it. Locked on itself.</summary>
    internal readonly CandidatePaths Candidates = new();
    /// <summary>The participant's recent STUN transactions, to tell a retransmission from a replay. Receive thread only.</summary>
    internal readonly Ice.RecentTransactions Transactions = new();
    /// <summary>When the first authenticated STUN check came: DTLS must finish within the handshake timeout of it.</summary>
    internal DateTime? IceConnectedAt;
    internal DtlsServerConnection? Dtls;
    internal SrtpContext? Inbound, Outbound;
    /// <summary>Serialises everything that protects and sends to this peer (the receive loop and the RTCP timer both do).</summary>
    internal readonly object SendGate = new();
    internal readonly byte[] SendBuffer = new byte[1600];

    // Negotiation state, guarded by the session's lock.
    internal readonly List<MediaLine> Lines = [];
    internal readonly ulong SdpSessionId = (ulong)Random.Shared.NextInt64(1, long.MaxValue);
    internal int SdpVersion;
    internal bool OfferPending, NeedsOffer;
    internal int OpusPayloadType = Codecs.DefaultOpusPayloadType, Vp8PayloadType = Codecs.DefaultVp8PayloadType;
    /// <summary>The participant's RTX payload type for VP8, from its own offer; null when it offered none.</summary>
    internal int? Vp8RtxPayloadType;
    internal int NextMid;
    /// <summary>The participant's a=extmap id for abs-send-time, from its own offer; null when it offered none.</summary>
    internal int? AbsSendTimeId;

    /// <summary>The a=extmap id of transport-wide sequence numbers we accepted on what this participant publishes (0: none).</summary>
    internal volatile int TransportCcId;
    /// <summary>When its transport-wide sequence numbers arrived, for the feedback its own estimator reads.</summary>
    internal readonly TransportFeedbackGenerator TransportFeedback = new();

    /// <summary>This participant's downlink as its REMBs tell it.</summary>
    internal readonly DownlinkEstimate Downlink = new();
    /// <summary>What retransmissions to this participant may take of its downlink.</summary>
    internal readonly RetransmissionAllowance Retransmissions = new();
    /// <summary>The bitrate of the last REMB we sent this participant as a publisher.</summary>
    internal long LastRembSent;
    /// <summary>When this participant last NACKed what it receives (MediaNode.Now ticks, 0: never): its downlink loses packets.</summary>
    internal long LastNackReceivedTicks;
    /// <summary>How many NACKs this subscriber has sent us: a probe compares their rate with what its link loses anyway.</summary>
    internal long NacksReceived;

    /// <summary>What this participant publishes, by SSRC: read by the receive loop.</summary>
    internal readonly ConcurrentDictionary<uint, PublishedTrack> Published = new();
    /// <summary>What this participant publishes as simulcast, by mid; each layer is in <see cref="Published"/> once its SSRC is known.</summary>
    internal readonly ConcurrentDictionary<string, SimulcastTrack> Simulcasts = new();
    /// <summary>The a=extmap ids of MID, RtpStreamId and RepairedRtpStreamId in this participant's offer (0: none), which name its simulcast layers' SSRCs.</summary>
    internal int MidExtensionId, RidExtensionId, RepairedRidExtensionId;
    /// <summary>The published tracks' retransmission streams (RFC 4588), by their SSRC: read by the receive loop.</summary>
    internal readonly ConcurrentDictionary<uint, PublishedTrack> RepairStreams = new();
    /// <summary>Round-trip time, from the reports this participant sends about our sender reports.</summary>
    internal readonly RoundTripEstimator RoundTrip = new();
    /// <summary>RTP bytes received from this participant and sent to it (forwarded and retransmitted), for its call quality.</summary>
    internal long BytesReceived, BytesSent;
    /// <summary>This participant's figures for the whole call, kept by the session across its transports.</summary>
    internal ParticipantQuality? Quality;
    /// <summary>What this participant receives, by our SSRC.</summary>
    internal readonly ConcurrentDictionary<uint, ForwardedTrack> Forwarded = new();

    internal PeerConnection(string participantId, SfuSession session)
    {
        ParticipantId = participantId;
        Session = session;
    }

    /// <summary>What others subscribe to: each single stream, and each simulcast section once (as its top layer).</summary>
    internal IEnumerable<PublishedTrack> Sources() =>
        Published.Values.Where(t => t.Simulcast is null).Concat(Simulcasts.Values.Select(s => s.Top));

    public int PayloadTypeFor(string kind) => kind == "audio" ? OpusPayloadType : Vp8PayloadType;

    private static string RandomToken(int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(length, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
    }
}
