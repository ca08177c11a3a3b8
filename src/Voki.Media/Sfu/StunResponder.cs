using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Voki.Media.Ice;

namespace Voki.Media.Sfu;

/// <summary>
/// The ICE-lite side of every participant (RFC 8445 §2.5): answers authenticated binding requests, takes the nominated
/// pair as the participant's path before SRTP (DTLS must follow it, §8.1.1), refreshes consent per path (RFC 7675 §5.1),
/// and makes any other authenticated source only a candidate path, which SRTP from it has to confirm.
/// </summary>
internal sealed class StunResponder(ConcurrentDictionary<string, PeerConnection> byUfrag, PeerPaths paths, PeerSender sender, MediaCounters counters)
{
    public void OnStun(ReadOnlySpan<byte> datagram, SocketAddress from)
    {
        var message = StunMessage.TryParse(datagram);
        if (message is null) { Interlocked.Increment(ref counters.StunMalformed); return; }
        if (message.Type != StunMessageType.BindingRequest) { Interlocked.Increment(ref counters.StunNotRequests); return; }
        var colon = message.Username?.IndexOf(':') ?? -1;
        if (colon <= 0 || !byUfrag.TryGetValue(message.Username![..colon], out var peer))
        {
            Interlocked.Increment(ref counters.StunUnknownUser);
            return;
        }
        if (!message.HasIntegrity || !message.VerifyIntegrity(peer.LocalPassword))
        {
            Interlocked.Increment(ref counters.StunIntegrityFailures);
            return;
        }
        if (!peer.Transactions.Admit(message.TransactionId, from))
        {
            Interlocked.Increment(ref counters.StunReplays);
            return;
        }
        var endpoint = (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(from);
        sender.SendTo(StunMessage.BindingSuccess(message.TransactionId, endpoint, peer.LocalPassword), from);
        if (peer.Address is null || (peer.Inbound is null && message.UseCandidate && !peer.Address.Equals(from)))
        {
            // Before SRTP there is no media to take, and DTLS must follow the pair the agent nominated (RFC 8445 §8.1.1).
            peer.LastConsent = DateTime.UtcNow;
            peer.IceConnectedAt ??= DateTime.UtcNow;
            paths.Commit(peer, from, endpoint);
        }
        else if (peer.Address.Equals(from)) peer.LastConsent = DateTime.UtcNow; // consent is per path (RFC 7675 §5.1)
        else paths.AddCandidate(peer, from, endpoint);
    }
}
