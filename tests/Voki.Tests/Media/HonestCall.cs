using System.Diagnostics;
using Voki.Media.Client;
using Voki.Media.Sfu;
using static Voki.Tests.Media.MediaCallHarness;

namespace Voki.Tests.Media;

/// <summary>
/// The abuse suite's yardstick: a two-party call on the attacked node connects within a second, gets media, and keeps its
/// frame rate: each side receives at least <see cref="MinFrameShare"/> of the video frames the other sends.
/// </summary>
public static class HonestCall
{
    public static async Task<IReadOnlyList<Joined>> ConnectsWithinASecondAsync(MediaNode node, string call, List<SyntheticPeer> peers, int firstHost = 0)
    {
        var session = node.Session(call);
        var alice = new SyntheticPeer(LoopbackHost(firstHost));
        var bob = new SyntheticPeer(LoopbackHost(firstHost + 1));
        peers.Add(alice);
        peers.Add(bob);
        var clock = Stopwatch.StartNew();
        var joined = await Task.WhenAll(JoinAsync(session, "alice", alice, TimeSpan.FromSeconds(5)), JoinAsync(session, "bob", bob, TimeSpan.FromSeconds(5)));
        var connectedIn = clock.Elapsed;
        Console.WriteLine($"[hostile] honest call {call} connected in {connectedIn.TotalMilliseconds:F0} ms; {node.Counters}");
        Assert.True(connectedIn < TimeSpan.FromSeconds(1), $"honest call took {connectedIn.TotalMilliseconds:F0} ms to connect");
        Assert.True(await PublishUntilEveryoneReceivesAsync(joined, TimeSpan.FromSeconds(3)), "both get media");
        await KeepsItsFrameRateAsync(joined, call);
        return joined;
    }

    /// <summary>On loopback nothing is lost on the way: a frame that does not arrive is one the attacked node did not forward.</summary>
    public const double MinFrameShare = 0.95;

    /// <summary>
    /// Both publish for two seconds (25 video frames a second); each must receive <see cref="MinFrameShare"/> of the frames
    /// the other sent, counted against what was sent, so a test machine too loaded to send 25 a second still measures the node.
    /// </summary>
    public static async Task KeepsItsFrameRateAsync(IReadOnlyList<Joined> joined, string call)
    {
        var before = joined.Select(VideoFrames).ToArray();
        var clock = Stopwatch.StartNew();
        var sent = await SyntheticMedia.PublishAsync([.. joined.Select(j => j.Peer)], TimeSpan.FromSeconds(2));
        var seconds = clock.Elapsed.TotalSeconds;
        // The last frames may still be on their way.
        for (var wait = Stopwatch.StartNew(); wait.ElapsedMilliseconds < 500 && joined.Select((j, i) => VideoFrames(j) - before[i]).Any(got => got < sent);)
            await Task.Delay(20);
        var received = joined.Select((j, i) => VideoFrames(j) - before[i]).ToArray();
        Console.WriteLine($"[hostile] honest call {call}: {sent} video frames sent by each in {seconds:F1} s, received {string.Join(" / ", received)}");
        foreach (var got in received)
            Assert.True(got >= MinFrameShare * sent, $"honest call {call} received {got} of the {sent} video frames sent in {seconds:F1} s");
    }

    /// <summary>
    /// The video frames this participant received: the test peers send each as one packet, and every packet is kept once
    /// by its sequence number (their timestamps start again with each publishing stretch, so they do not tell frames apart).
    /// </summary>
    private static int VideoFrames(Joined joined) => joined.Got.Values.Count(p => p.PayloadType != SyntheticPeer.OpusPayloadType);

    /// <summary>
    /// How much the managed heap may grow over an attack. Tests that measure it run alone (<see cref="MemoryMeasuredCollection"/>),
    /// so the heap is what the node holds: 5–13 MiB over each attack alone, while an unbounded offer, capture or retransmission
    /// queue costs hundreds of MiB within the seconds an attack lasts.
    /// </summary>
    public const double AttackHeapGrowthMiB = 64;

    /// <summary>The managed heap after a full, compacting collection, in MiB: what the node holds, not what it has yet to collect.</summary>
    public static double HeapMiB()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetGCMemoryInfo(GCKind.FullBlocking).HeapSizeBytes / 1048576.0;
    }
}
