using System.Net;
using System.Net.Sockets;

namespace Voki.Media.Sfu;

/// <summary>
/// The node's one UDP socket, sending side: datagrams to a peer's committed path, SRTP and SRTCP protected with the
/// peer's outbound context under its send gate (the receive, NACK and RTCP threads all send to the same peer).
/// </summary>
internal sealed class PeerSender(Socket socket)
{
    public void SendTo(ReadOnlySpan<byte> datagram, SocketAddress to) => socket.SendTo(datagram, SocketFlags.None, to);

    /// <summary>A datagram as it is (DTLS records), to the peer's path if it has one.</summary>
    public void SendRaw(PeerConnection peer, ReadOnlySpan<byte> datagram)
    {
        if (peer.Address is { } address) socket.SendTo(datagram, SocketFlags.None, address);
    }

    /// <summary>An RTCP compound packet, protected as SRTCP (RFC 3711 §3.4), once the peer has keys and a path.</summary>
    public void SendRtcp(PeerConnection peer, ReadOnlySpan<byte> rtcp)
    {
        if (peer.Outbound is not { } outbound || peer.Address is not { } address) return;
        lock (peer.SendGate)
        {
            rtcp.CopyTo(peer.SendBuffer);
            var sent = outbound.ProtectRtcp(peer.SendBuffer, rtcp.Length);
            socket.SendTo(peer.SendBuffer.AsSpan(0, sent), SocketFlags.None, address);
        }
    }

    /// <summary>Protects the RTP packet of <paramref name="length"/> bytes the caller wrote into the peer's send buffer, and sends it. The caller holds the peer's send gate.</summary>
    public void SendRtpHeld(PeerConnection peer, Srtp.SrtpContext outbound, SocketAddress address, int length)
    {
        var sent = outbound.ProtectRtp(peer.SendBuffer, length);
        socket.SendTo(peer.SendBuffer.AsSpan(0, sent), SocketFlags.None, address);
    }
}
