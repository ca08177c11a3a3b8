using System.Collections.Concurrent;
using System.Diagnostics;
using Voki.Media.Client;
using Voki.Media.Sfu;
using Voki.Tests.Infrastructure;
using Xunit.Abstractions;
using static Voki.Tests.Media.MediaCallHarness;

namespace Voki.Tests.Media;

/// <summary>
/// A subscriber that sends NACK storms (issue 10 item 2): 2 KB NACKs of hundreds of FCIs with full bitmasks, over and
/// over. What the node retransmits to it stays within its budget, an honest call on the node keeps its media, and an
/// honest subscriber of the same track still gets its losses resent.
/// </summary>
[Collection(MemoryMeasuredCollection.Name)]
public sealed class NackStormTests : MediaNodeTest
{
    private const int StormFcis = 480;
    private readonly ITestOutputHelper _output;
    private static readonly MediaNodeOptions Options = new() { Port = 0 };

    public NackStormTests(ITestOutputHelper output) : base(Options) => _output = output;

    [Fact]
    public async Task A_nack_storm_gets_at_most_its_budget_while_an_honest_call_keeps_its_media_and_honest_nacks_are_answered()
    {
        var attacked = Node.Session("hostile/nack-storm");
        var publisher = (await JoinAsync(attacked, "publisher", Peer(LoopbackHost(0)), TimeSpan.FromSeconds(5))).Peer;
        var attacker = (await JoinAsync(attacked, "attacker", Peer(LoopbackHost(1), offerRtx: true), TimeSpan.FromSeconds(5))).Peer;
        var lost = new ConcurrentDictionary<ushort, bool>();
        var viewer = (await JoinAsync(attacked, "viewer", Peer(LoopbackHost(2), dropVideo: (_, sequence) => sequence % 10 == 0 && lost.TryAdd(sequence, true)), TimeSpan.FromSeconds(5))).Peer;
        var honest = Node.Session("hostile/nack-storm-honest");
        var alice = await JoinAsync(honest, "alice", Peer(LoopbackHost(3)), TimeSpan.FromSeconds(5));
        var bob = await JoinAsync(honest, "bob", Peer(LoopbackHost(4)), TimeSpan.FromSeconds(5));
        ForwardedTrack Video(SfuSession session, string who, string from) =>
            session.Peer(who)!.Forwarded.Values.Single(f => f.Active && f.Source.Kind == "video" && f.Source.Publisher.ParticipantId == from);
        await Eventually.Holds(() => Forwarding(attacked, "attacker", "publisher") && Forwarding(attacked, "viewer", "publisher") && Forwarding(honest, "alice", "bob") && Forwarding(honest, "bob", "alice"),
            TimeSpan.FromSeconds(5), "every subscriber's answer");
        var attackedSsrc = Video(attacked, "attacker", "publisher").LocalSsrc;
        var viewerSsrc = Video(attacked, "viewer", "publisher").LocalSsrc;

        // What the attacker has seen of the track, to aim its NACKs at what the node still holds.
        var latest = 0;
        long resentToAttacker = 0;
        attacker.PacketReceived += p =>
        {
            if (p.Ssrc != attackedSsrc) return;
            Volatile.Write(ref latest, p.Sequence);
            if (p.Retransmitted) Interlocked.Increment(ref resentToAttacker);
        };
        long aliceGot = 0, bobGot = 0;
        alice.Peer.PacketReceived += p => { if (p.PayloadType == SyntheticPeer.Vp8PayloadType) Interlocked.Increment(ref aliceGot); };
        bob.Peer.PacketReceived += p => { if (p.PayloadType == SyntheticPeer.Vp8PayloadType) Interlocked.Increment(ref bobGot); };

        var heapBefore = HonestCall.HeapMiB();
        var (aliceSentBefore, bobSentBefore) = (alice.Peer.VideoPacketsSent, bob.Peer.VideoPacketsSent);
        var clock = Stopwatch.StartNew();
        using var storming = new CancellationTokenSource();
        var nacksSent = 0;
        var storm = Task.Run(async () =>
        {
            while (!storming.IsCancellationRequested)
            {
                // From just before what the node still holds: every cached packet among the first entries, 8160 named in all.
                attacker.SendNackStorm(attackedSsrc, (ushort)(Volatile.Read(ref latest) - 100), StormFcis);
                nacksSent++;
                await Task.Delay(2);
            }
        });
        var publishing = SyntheticMedia.PublishAsync([publisher, alice.Peer, bob.Peer], TimeSpan.FromSeconds(4));
        // A call that starts during the storm connects as fast as ever.
        await Task.Delay(500);
        var late = Node.Session("hostile/nack-storm-late");
        var joining = Stopwatch.StartNew();
        var carolAndDave = await Task.WhenAll(JoinAsync(late, "carol", Peer(LoopbackHost(5)), TimeSpan.FromSeconds(5)), JoinAsync(late, "dave", Peer(LoopbackHost(6)), TimeSpan.FromSeconds(5)));
        var joinedIn = joining.Elapsed;
        Assert.True(await PublishUntilEveryoneReceivesAsync(carolAndDave, TimeSpan.FromSeconds(3)), "the late call gets media");
        await publishing;

        // While the storm goes on, the honest viewer asks for its latest losses and gets them.
        var resentToViewer = new ConcurrentDictionary<ushort, bool>();
        var asked = lost.Keys.Order().TakeLast(3).ToArray();
        viewer.PacketReceived += p => { if (p.Ssrc == viewerSsrc && asked.Contains(p.Sequence)) resentToViewer[p.Sequence] = true; };
        viewer.SendNack(viewerSsrc, asked);
        await Eventually.Holds(() => resentToViewer.Count == asked.Length, TimeSpan.FromSeconds(5), "the viewer's NACK answered");
        storming.Cancel();
        await storm;
        var elapsed = clock.Elapsed;
        var heapAfter = HonestCall.HeapMiB();

        var c = Node.Counters;
        var attackerTrack = Video(attacked, "attacker", "publisher");
        // Its budget: the burst, the floor for the time it stormed, and its share of what the track sent it; packets of 312 bytes.
        var budget = (Options.RetransmissionBurstBytes + Options.RetransmissionFloorBytesPerSecond * elapsed.TotalSeconds
            + Options.RetransmissionShare * (attackerTrack.OctetsSent + 12.0 * attackerTrack.PacketsSent)) / 312;
        var (aliceSent, bobSent) = (alice.Peer.VideoPacketsSent - aliceSentBefore, bob.Peer.VideoPacketsSent - bobSentBefore);
        _output.WriteLine($"{nacksSent} storm NACKs of {StormFcis} full FCIs in {elapsed.TotalSeconds:F1} s: {Interlocked.Read(ref resentToAttacker)} retransmissions to the attacker " +
            $"(budget {budget:F0}; refused: {c.NackEntriesRefused} entries, {c.NackedPacketsNotCached} not cached, {c.RetransmissionsWithinRoundTrip} within the RTT, {c.RetransmissionBudgetExhausted} over budget); honest call got {aliceGot}/{bobSent} and {bobGot}/{aliceSent} video packets, a new one connected in {joinedIn.TotalMilliseconds:F0} ms; managed heap {heapBefore:F1} → {heapAfter:F1} MiB; {c}");
        Assert.True(nacksSent > 200, $"only {nacksSent} storm NACKs");
        Assert.True(joinedIn < TimeSpan.FromSeconds(1), $"a call started during the storm took {joinedIn.TotalMilliseconds:F0} ms to connect");
        Assert.True(Interlocked.Read(ref resentToAttacker) <= budget, $"{resentToAttacker} retransmissions to the attacker, budget {budget:F0}");
        Assert.True(c.NackEntriesRefused > nacksSent * 1000L, c.ToString()); // every NACK names 8160, at most 128 are taken
        Assert.True(c.RetransmissionBudgetExhausted + c.RetransmissionsWithinRoundTrip > 0, c.ToString());
        Assert.True(aliceGot >= bobSent * 0.9 && bobGot >= aliceSent * 0.9, $"the honest call got {aliceGot}/{bobSent} and {bobGot}/{aliceSent}");
        Assert.True(heapAfter - heapBefore < HonestCall.AttackHeapGrowthMiB, $"managed heap grew by {heapAfter - heapBefore:F0} MiB");
    }


    private static bool Forwarding(SfuSession session, string who, string from) =>
        session.Peer(who)?.Forwarded.Values.Count(f => f.Active && f.Source.Publisher.ParticipantId == from) == 2;

    private SyntheticPeer Peer(System.Net.IPAddress host, bool offerRtx = false, Func<uint, ushort, bool>? dropVideo = null)
    {
        var peer = new SyntheticPeer(host) { OfferRtx = offerRtx, DropIncomingVideo = dropVideo };
        Peers.Add(peer);
        return peer;
    }
}
