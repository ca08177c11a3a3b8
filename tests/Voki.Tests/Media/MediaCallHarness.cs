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
    public static Task<bool> PublishUntilEveryoneReceivesAsync(IReadOnlyList<Joined> joined, TimeSpan limit) =>
        PublishUntilAsync(joined.Select(j => j.Peer).ToArray(), () => joined.All(j => !j.Got.IsEmpty), limit);

    /// <summary>
    /// Publishes from <paramref name="publishers"/> in 200 ms stretches until <paramref name="done"/> holds or the time is
    /// up, and says whether it held. A condition, not a fixed time: a loaded suite runs the 20 ms publishing ticks at under
    /// half their rate.
    /// </summary>
    public static async Task<bool> PublishUntilAsync(SyntheticPeer[] publishers, Func<bool> done, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        await Task.Run(async () =>
        {
            while (DateTime.UtcNow < deadline && !done())
                await SyntheticMedia.PublishAsync(publishers, TimeSpan.FromMilliseconds(200));
        });
        return done();
    }

    /// <summary>Every test peer on an address of its own (all of 127/8 is loopback here), like participants on separate hosts.</summary>
    public static IPAddress LoopbackHost(int n) => new([127, 0, (byte)(1 + n / 250), (byte)(2 + n % 250)]);
}
