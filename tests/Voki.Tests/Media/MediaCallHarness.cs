using System.Collections.Concurrent;
using System.Net;
using Voki.Media.Client;
using Voki.Media.Sfu;

namespace Voki.Tests.Media;

/// <summary>Joins client-mode peers to an SFU session the way the grain does: offer, answer, renegotiation.</summary>
public static class MediaCallHarness
{
    public sealed record Joined(SyntheticPeer Peer, ConcurrentDictionary<(uint, ushort), ReceivedPacket> Got);

    /// <summary>Offers, connects (ICE and DTLS) and answers every renegotiation offer the session sends this participant.</summary>
    public static async Task<Joined> JoinAsync(SfuSession session, string participant, SyntheticPeer peer, TimeSpan timeout)
    {
        var got = new ConcurrentDictionary<(uint, ushort), ReceivedPacket>();
        peer.PacketReceived += p => got[(p.Ssrc, p.Sequence)] = p;
        session.OfferReady += (who, offer) =>
        {
            if (who == participant) session.AcceptAnswer(who, peer.CreateAnswer(offer));
        };
        var answer = session.AcceptOffer(participant, peer.CreateOffer());
        await peer.ConnectAsync(answer, timeout);
        return new Joined(peer, got);
    }

    /// <summary>Publishes from every peer until each has received media from another, or the time is up.</summary>
    public static async Task<bool> PublishUntilEveryoneReceivesAsync(IReadOnlyList<Joined> joined, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var publishing = Task.Run(async () =>
        {
            while (DateTime.UtcNow < deadline && !joined.All(j => !j.Got.IsEmpty))
                await SyntheticMedia.PublishAsync(joined.Select(j => j.Peer).ToArray(), TimeSpan.FromMilliseconds(200));
        });
        await publishing;
        return joined.All(j => !j.Got.IsEmpty);
    }

    /// <summary>Every test peer on an address of its own (all of 127/8 is loopback here), like participants on separate hosts.</summary>
    public static IPAddress LoopbackHost(int n) => new([127, 0, (byte)(1 + n / 250), (byte)(2 + n % 250)]);
}
