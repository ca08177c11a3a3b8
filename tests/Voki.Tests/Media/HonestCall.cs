using System.Diagnostics;
using Voki.Media.Client;
using Voki.Media.Sfu;
using static Voki.Tests.Media.MediaCallHarness;

namespace Voki.Tests.Media;

/// <summary>The abuse suite's yardstick: a two-party call on the attacked node connects within a second and gets media.</summary>
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
        return joined;
    }

    /// <summary>
    /// How much the test process's heap may grow over an attack. It is the whole process's heap, with other test
    /// classes running alongside (a suite run saw 78 MiB from them over one storm), so it is a bound on runaway growth
    /// only (an unbounded offer or capture costs gigabytes); the attack's own counts are the measure.
    /// </summary>
    public const double ProcessHeapSanityMiB = 256;

    /// <summary>The managed heap after a full, compacting collection, in MiB: what the node holds, not what it has yet to collect.</summary>
    public static double HeapMiB()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetGCMemoryInfo(GCKind.FullBlocking).HeapSizeBytes / 1048576.0;
    }
}
