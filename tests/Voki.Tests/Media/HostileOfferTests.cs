using System.Collections.Concurrent;
using Voki.Media.Client;
using Voki.Media.Sdp;
using Voki.Media.Sfu;
using Voki.Tests.Infrastructure;
using static Voki.Tests.Media.MediaCallHarness;

namespace Voki.Tests.Media;

/// <summary>
/// Offers that would make the SFU hold without bound (issue 10, item 3): a hundred and fifty sending sections, and
/// renegotiation after renegotiation under fresh mids. They are refused or recycled within the limits, while an
/// honest call on the node, and an honest Chromium-shaped offer, go on working.
/// </summary>
[Collection(MemoryMeasuredCollection.Name)]
public sealed class HostileOfferTests : MediaNodeTest
{

    [Fact]
    public async Task An_offer_with_150_video_sections_is_refused_with_its_reason_and_costs_bounded_memory()
    {
        var session = Node.Session("hostile/flood-offer");
        var witness = Peer(); // someone already in the call: every accepted track would be forwarded to them too
        await JoinAsync(session, "witness", witness, TimeSpan.FromSeconds(5));
        var before = HonestCall.HeapMiB();
        for (var i = 0; i < 20; i++)
        {
            var mallory = Peer();
            var offer = mallory.CreateOfferWithVideoSections(150);
            var refused = Assert.ThrowsAny<SdpException>(() => session.AcceptOffer($"mallory-{i}", offer));
            Assert.Contains("151 m= sections, at most 64", refused.Message);
        }
        // Within the section limit, still more sending video sections than a participant may publish.
        var three = Assert.ThrowsAny<SdpException>(() => session.AcceptOffer("mallory-3", Peer().CreateOfferWithVideoSections(3)));
        Assert.Contains("3 sending video sections, at most 2", three.Message);
        var after = HonestCall.HeapMiB();
        Console.WriteLine($"[hostile] 21 refused offers: heap {before:F1} → {after:F1} MiB; refused {Node.Counters.OffersRefused}");

        Assert.Equal(["witness"], session.Participants);
        Assert.Equal(2, session.Peer("witness")!.Lines.Count); // nothing was forwarded to the witness
        Assert.Equal(21, Node.Counters.OffersRefused);
        // The test runs alone (MemoryMeasuredCollection): the heap is what the node kept of the refused offers.
        Assert.True(after - before < HonestCall.AttackHeapGrowthMiB, $"the refused offers kept {after - before:F1} MiB");
        await HonestCall.ConnectsWithinASecondAsync(Node, "hostile/honest", Peers);
    }

    [Fact]
    public async Task Fifty_renegotiations_with_fresh_mids_leave_a_bounded_number_of_lines_and_tracks()
    {
        var session = Node.Session("hostile/renegotiate");
        var offersTo = new ConcurrentDictionary<string, string>();
        session.OfferReady += (who, sdp) => offersTo[who] = sdp;
        var honest = new[] { await JoinAsync(session, "alice", Peer(), TimeSpan.FromSeconds(5)), await JoinAsync(session, "bob", Peer(), TimeSpan.FromSeconds(5)) };
        var mallory = Peer();
        await mallory.ConnectAsync(session.AcceptOffer("mallory", mallory.CreateOffer()), TimeSpan.FromSeconds(5));

        var before = HonestCall.HeapMiB();
        for (var round = 1; round <= 50; round++)
        {
            var answer = SessionDescription.Parse(session.AcceptOffer("mallory", mallory.CreateOfferWithFreshMids(round)));
            Assert.Equal([$"r{round}a", $"r{round}v"], answer.Media.Select(m => m.Mid!));
        }
        var after = HonestCall.HeapMiB();
        var limit = Node.Options.Offers.MaxLinesPerPeer;
        var lines = session.Participants.ToDictionary(p => p, p => session.Peer(p)!.Lines.Count);
        Console.WriteLine($"[hostile] after 50 renegotiations: lines {string.Join(", ", lines.Select(l => $"{l.Key}={l.Value}"))}; " +
                          $"heap {before:F1} → {after:F1} MiB; recycled {Node.Counters.LinesRecycled}, refused {Node.Counters.SubscriptionsRefused}");

        // Mallory keeps its two newest sections and those it receives on; each honest subscriber's lines stop at the
        // limit (the ended tracks' lines are recycled), never 2 per renegotiation.
        Assert.Equal(2 + 4, lines["mallory"]);
        Assert.All(lines.Values, count => Assert.InRange(count, 1, limit));
        Assert.Equal(2, session.Peer("mallory")!.Published.Count);
        Assert.Equal(6, session.Participants.Sum(p => session.Peer(p)!.Published.Count));
        Assert.True(Node.Counters.LinesRecycled > 0, Node.Counters.ToString());
        await Eventually.Holds(() => offersTo.TryGetValue("alice", out var sdp) && SessionDescription.Parse(sdp).Media.Count <= limit,
            TimeSpan.FromSeconds(5), "alice's latest offer within the line limit");
        Assert.True(after - before < HonestCall.AttackHeapGrowthMiB, $"the renegotiations kept {after - before:F1} MiB");

        // The call goes on: alice and bob still get each other's media, and mallory's newest tracks reach them.
        foreach (var joined in honest) joined.Got.Clear();
        Assert.True(await PublishUntilEveryoneReceivesAsync(honest, TimeSpan.FromSeconds(3)), "alice and bob get media");
        await HonestCall.ConnectsWithinASecondAsync(Node, "hostile/honest-2", Peers, firstHost: 10);
    }

    [Fact]
    public async Task An_honest_chromium_shaped_offer_with_rtx_is_answered_and_its_media_flows()
    {
        var session = Node.Session("hostile/chromium");
        var chromium = new SyntheticPeer(LoopbackHost(20)) { OfferRtx = true };
        Peers.Add(chromium);
        var got = new ConcurrentDictionary<(uint, ushort), ReceivedPacket>();
        chromium.PacketReceived += p => got[(p.Ssrc, p.Sequence)] = p;
        session.OfferReady += (who, offer) => { if (who == "chromium") session.AcceptAnswer(who, chromium.CreateAnswer(offer)); };
        var offer = chromium.CreateChromiumLikeOffer();
        var answerSdp = session.AcceptOffer("chromium", offer);
        var answer = SessionDescription.Parse(answerSdp);
        Assert.Equal(2, answer.Media.Count);
        var video = answer.Media.Single(m => m.Kind == "video");
        Assert.Equal([SyntheticPeer.Vp8PayloadType.ToString(), SyntheticPeer.RtxPayloadType.ToString()], video.Formats);
        Assert.Equal(SyntheticPeer.RtxPayloadType, video.RtxPayloadTypeFor(SyntheticPeer.Vp8PayloadType));
        await chromium.ConnectAsync(answerSdp, TimeSpan.FromSeconds(5));

        var other = await JoinAsync(session, "other", new SyntheticPeer(LoopbackHost(21)), TimeSpan.FromSeconds(5));
        Peers.Add(other.Peer);
        var joined = new[] { new Joined(chromium, got), other };
        Assert.True(await PublishUntilEveryoneReceivesAsync(joined, TimeSpan.FromSeconds(3)), "the Chromium-shaped peer and the other exchange media");
        Assert.Contains(other.Got.Values, p => p.PayloadType == SyntheticPeer.Vp8PayloadType);
        Assert.Contains(got.Values, p => p.PayloadType == SyntheticPeer.Vp8PayloadType);
    }

    private SyntheticPeer Peer()
    {
        var peer = new SyntheticPeer(LoopbackHost(30 + Peers.Count));
        Peers.Add(peer);
        return peer;
    }
}
