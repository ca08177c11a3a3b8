using System.Collections.Concurrent;
using Voki.Media.Client;
using Voki.Media.Sfu;
using Voki.Tests.Infrastructure;
using Xunit.Abstractions;
using static Voki.Tests.Media.MediaCallHarness;

namespace Voki.Tests.Media;

/// <summary>
/// Failures visible (issue 10 item 8): a bug caught by the media plane is counted by where it surfaced and reported to the
/// host for its log, and it costs no one their media. The bug here is the owner's: handlers of the session's events that
/// throw, as a grain's glue with a mistake in it would. Before MediaFaults, the throw out of ParticipantConnected ended a
/// finished handshake as "DTLS handshake failed" and dropped the peer, and one out of OfferReady kept every handler after
/// it from hearing of the offer, so the renegotiation that brings the other participant's tracks was never answered.
/// </summary>
public sealed class MediaFaultsTests(ITestOutputHelper output) : MediaNodeTest
{

    [Fact]
    public async Task An_owner_whose_handlers_throw_costs_no_one_their_media_and_each_throw_is_counted_and_reported()
    {
        var session = Node.Session("faults/owner");
        var reported = new ConcurrentQueue<(MediaFaultSite Site, Exception Exception)>();
        Node.Faults.Caught += (site, e) => reported.Enqueue((site, e));
        // Registered first, as the owner's: each throws before the harness's own handlers (registered by JoinAsync) run.
        session.OfferReady += (_, _) => throw new InvalidOperationException("owner bug: offer");
        session.ParticipantConnected += _ => throw new InvalidOperationException("owner bug: connected");
        session.ParticipantDropped += (_, _) => throw new InvalidOperationException("owner bug: dropped");
        Node.QualitySampled += _ => throw new InvalidOperationException("owner bug: quality");
        var dropped = new ConcurrentQueue<string>();
        session.ParticipantDropped += (who, _) => dropped.Enqueue(who);
        var before = Node.Counters.Snapshot();

        var alice = new SyntheticPeer(LoopbackHost(0));
        var bob = new SyntheticPeer(LoopbackHost(1));
        Peers.AddRange([alice, bob]);
        var joined = await Task.WhenAll(JoinAsync(session, "alice", alice, TimeSpan.FromSeconds(5)), JoinAsync(session, "bob", bob, TimeSpan.FromSeconds(5)));
        Assert.True(await PublishUntilEveryoneReceivesAsync(joined, TimeSpan.FromSeconds(5)),
            $"each receives the other's media although every owner handler throws ({MediaCounters.Changes(Node.Counters.Snapshot(), before)})");
        Assert.Equal(["alice", "bob"], session.Participants.Order());
        Assert.All(new[] { "alice", "bob" }, who => Assert.Equal(PeerState.Connected, session.Peer(who)!.State));
        // The timer's quality samples (once a second per peer) reach their throwing handler too.
        await Eventually.Holds(() => Moved(before, "ownerHandlerExceptions") >= 2 + 2 + 2, TimeSpan.FromSeconds(5),
            "two connections, the renegotiation offers and the quality samples each counted");

        alice.HangUp(); // close_notify: the session drops alice and tells its owner
        await Eventually.Holds(() => dropped.Contains("alice"), TimeSpan.FromSeconds(5), "the handler after the throwing one hears of alice's drop");
        Assert.Equal(["bob"], session.Participants);

        var changes = MediaCounters.Changes(Node.Counters.Snapshot(), before);
        output.WriteLine($"counters: {changes}");
        output.WriteLine($"reported to the host: {string.Join(", ", reported.Select(r => $"{r.Site}: {r.Exception.Message}"))}");
        Assert.Equal(0, Moved(before, "dtlsHandshakeFailures"));
        Assert.Equal(0, Moved(before, "handlerExceptions"));
        Assert.Equal(0, Moved(before, "backgroundExceptions"));
        // Reported with what was thrown, and once per site within MediaFaults.ReportEvery however many were counted.
        var owner = Assert.Single(reported);
        Assert.Equal(MediaFaultSite.OwnerHandler, owner.Site);
        Assert.StartsWith("owner bug:", owner.Exception.Message);
    }

    [Fact]
    public async Task Every_fault_is_counted_but_each_site_is_reported_once_per_interval_and_a_failing_logger_is_not_a_fault()
    {
        var counters = new MediaCounters();
        var faults = new MediaFaults(counters);
        var reported = new ConcurrentQueue<MediaFaultSite>();
        faults.Caught += (site, _) => reported.Enqueue(site);
        faults.Caught += (_, _) => throw new IOException("the log's disk is full");

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                faults.Record(MediaFaultSite.ReceiveThread, new NullReferenceException());
                faults.Record(MediaFaultSite.BackgroundThread, new IndexOutOfRangeException());
            }
        })));
        faults.Notify<int>(_ => throw new InvalidOperationException(), 1);

        Assert.Equal(4000, counters.HandlerExceptions);
        Assert.Equal(4000, counters.BackgroundExceptions);
        Assert.Equal(1, counters.OwnerHandlerExceptions);
        Assert.Equal([MediaFaultSite.ReceiveThread, MediaFaultSite.BackgroundThread, MediaFaultSite.OwnerHandler], reported.Order());
    }

    private long Moved(IReadOnlyDictionary<string, long> before, string counter) => Node.Counters.Snapshot()[counter] - before[counter];
}
