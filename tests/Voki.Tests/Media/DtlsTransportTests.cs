using System.Buffers.Binary;
using Voki.Media.Client;
using Voki.Media.Sfu;
using Voki.Tests.Infrastructure;
using static Voki.Tests.Media.MediaCallHarness;

namespace Voki.Tests.Media;

/// <summary>
/// The DTLS of a join through the SFU: flights retransmitted through a lossy path until the handshake
/// completes (RFC 6347 §4.2.4), and the record layer still listening afterwards.
/// </summary>
public sealed class DtlsTransportTests : IDisposable
{
    private readonly MediaNode _node = new(new MediaNodeOptions { Port = 0 });

    public void Dispose() => _node.Dispose();

    [Fact]
    public async Task A_lost_final_server_flight_is_sent_again_when_the_client_retransmits_its_own()
    {
        var session = _node.Session("loss/final-flight");
        var finalFlight = new FinalServerFlightDrop();
        using var alice = new SyntheticPeer(LoopbackHost(0)) { DropIncoming = finalFlight.Drop };
        using var bob = new SyntheticPeer(LoopbackHost(1));
        var joined = await Task.WhenAll(JoinAsync(session, "alice", alice, TimeSpan.FromSeconds(8)), JoinAsync(session, "bob", bob, TimeSpan.FromSeconds(8)));

        Assert.True(finalFlight.Dropped > 0, "the server's ChangeCipherSpec and Finished were dropped once");
        Assert.True(await PublishUntilEveryoneReceivesAsync(joined, TimeSpan.FromSeconds(5)), "both get media");
        // The record service counts its answer once its read of the client's retransmission has returned.
        await Eventually.Holds(() => _node.Counters.DtlsFinalFlightResends > 0, TimeSpan.FromSeconds(5), $"a resent final flight ({_node.Counters})");
    }

    [Fact]
    public async Task A_peer_that_sends_close_notify_is_dropped_at_once_not_when_consent_runs_out()
    {
        var session = _node.Session("dtls/close-notify");
        var dropped = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        session.ParticipantDropped += (who, why) => { if (who == "alice") dropped.TrySetResult(why); };
        using var alice = new SyntheticPeer(LoopbackHost(0));
        using var bob = new SyntheticPeer(LoopbackHost(1));
        var joined = await Task.WhenAll(JoinAsync(session, "alice", alice, TimeSpan.FromSeconds(5)), JoinAsync(session, "bob", bob, TimeSpan.FromSeconds(5)));
        Assert.True(await PublishUntilEveryoneReceivesAsync(joined, TimeSpan.FromSeconds(3)));

        alice.HangUp();
        Assert.Equal("DTLS closed by the peer", await dropped.Task.WaitAsync(TimeSpan.FromSeconds(3))); // consent would take 30 s
        Assert.Equal(["bob"], session.Participants);
        Assert.Equal(1, _node.Counters.DtlsClosedByPeer);
    }

    [Fact]
    public async Task At_five_percent_loss_each_way_at_least_99_of_100_joins_connect_and_get_media()
    {
        const int Calls = 50, Concurrent = 10;
        var connectTimeout = TimeSpan.FromSeconds(15);
        var connected = 0;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var gate = new SemaphoreSlim(Concurrent);
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Calls).Select(async call =>
        {
            await gate.WaitAsync();
            var peers = Enumerable.Range(0, 2).Select(p => new SyntheticPeer(LoopbackHost(2 * call + p))
            {
                DropOutgoing = RandomLoss(0.05, seed: 1000 + 2 * call + p),
                DropIncoming = RandomLoss(0.05, seed: 5000 + 2 * call + p),
            }).ToArray();
            try
            {
                var session = _node.Session($"loss/call-{call}");
                var joins = peers.Select((peer, p) => JoinAsync(session, $"p{p}", peer, connectTimeout)).ToArray();
                try { await Task.WhenAll(joins); } catch (Exception) { /* counted below, join by join */ }
                var joined = joins.Where(j => j.IsCompletedSuccessfully).Select(j => j.Result).ToList();
                foreach (var failed in joins.Where(j => !j.IsCompletedSuccessfully)) failures.Add($"call {call}: {failed.Exception?.InnerException?.Message}");
                if (joined.Count == 2) await PublishUntilEveryoneReceivesAsync(joined, TimeSpan.FromSeconds(5));
                foreach (var j in joined)
                {
                    if (!j.Got.IsEmpty) Interlocked.Increment(ref connected);
                    else failures.Add($"call {call}: connected but no media");
                }
                session.Close();
            }
            finally
            {
                foreach (var peer in peers) peer.Dispose();
                gate.Release();
            }
        }));
        Console.WriteLine($"[dtls-loss] {connected}/100 joins connected with media in {started.Elapsed.TotalSeconds:F1} s; {_node.Counters}");
        Assert.True(connected >= 99, $"{connected}/100 connected: {string.Join("; ", failures)}");
    }

    /// <summary>Independent random loss with a fixed seed, so a run's losses are the same datagram by datagram.</summary>
    private static DatagramFilter RandomLoss(double rate, int seed)
    {
        var random = new Random(seed);
        return _ => { lock (random) return random.NextDouble() < rate; };
    }

    /// <summary>Drops the server's last handshake flight (ChangeCipherSpec, then Finished in epoch 1) the first time it comes.</summary>
    private sealed class FinalServerFlightDrop
    {
        private volatile bool _done;
        public int Dropped;

        public bool Drop(ReadOnlySpan<byte> datagram)
        {
            if (_done || datagram.IsEmpty || datagram[0] is < 20 or > 63) return false;
            var drop = false;
            for (var offset = 0; offset + 13 <= datagram.Length; offset += 13 + BinaryPrimitives.ReadUInt16BigEndian(datagram[(offset + 11)..]))
            {
                var type = datagram[offset];
                var epoch = BinaryPrimitives.ReadUInt16BigEndian(datagram[(offset + 3)..]);
                if (type == 20 || epoch > 0) drop = true;
                if (type == 22 && epoch > 0) _done = true;
            }
            if (drop) Interlocked.Increment(ref Dropped);
            return drop;
        }
    }
}
