using System.Diagnostics;
using System.Net;
using Voki.Media.Client;
using Voki.Media.Sfu;
using Voki.Tests.Infrastructure;
using static Voki.Tests.Media.MediaCallHarness;

namespace Voki.Tests.Media;

/// <summary>
/// Peers that pass ICE, send the first fragment of a ClientHello and then only keep consent alive
/// (issue 10): they must neither delay anyone else's join nor stay on the node past the handshake timeout.
/// </summary>
public sealed class HostilePeerTests() : MediaNodeTest(new MediaNodeOptions
{
    Port = 0, HandshakeTimeout = HandshakeTimeout, MaxHandshakesPerAddress = 4, MaxHandshakesPerCall = 4,
})
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Stalled_handshakes_from_many_hosts_do_not_delay_an_honest_call_and_are_dropped_after_the_timeout()
    {
        // Twelve stallers, each a customer of its own call from one of three hosts: more than the node
        // had handshake threads, within every per-host and per-call limit.
        var stalled = await StallAsync(Enumerable.Range(0, 12).Select(i => ($"hostile/stall-{i}", new IPAddress([127, 0, 9, (byte)(2 + i % 3)]))));
        await HonestCallConnectsWithinASecond();
        await AllDroppedAfterTheTimeout(stalled);
        Assert.True(Node.Counters.DtlsDeadlineDrops + Node.Counters.DtlsHandshakeTimeouts >= 12, Node.Counters.ToString());
    }

    [Fact]
    public async Task One_host_or_one_call_gets_only_its_share_of_handshakes()
    {
        // Ten stallers from one host, each in a call of its own: only MaxHandshakesPerAddress of them get a handshake.
        var fromOneHost = await StallAsync(Enumerable.Range(0, 10).Select(i => ($"hostile/one-host-{i}", new IPAddress([127, 0, 9, 20]))), expectHandshakes: false);
        // Ten from different hosts in one call: only MaxHandshakesPerCall of them.
        var intoOneCall = await StallAsync(Enumerable.Range(0, 10).Select(i => ("hostile/one-call", new IPAddress([127, 0, 9, (byte)(30 + i)]))), expectHandshakes: false);
        await Eventually.Holds(() => Node.Counters.DtlsHandshakesRefusedPerAddress > 0 && Node.Counters.DtlsHandshakesRefusedPerCall > 0, TimeSpan.FromSeconds(3), "refusals per host and per call");
        Assert.True(CountConnecting(fromOneHost) <= 4, Node.Counters.ToString());
        Assert.True(CountConnecting(intoOneCall) <= 4, Node.Counters.ToString());
        await HonestCallConnectsWithinASecond();
        await AllDroppedAfterTheTimeout([.. fromOneHost, .. intoOneCall]);
    }

    private Task HonestCallConnectsWithinASecond() => HonestCall.ConnectsWithinASecondAsync(Node, "hostile/honest", Peers);

    private async Task<List<(SfuSession Session, string Participant, Task<string> Dropped)>> StallAsync(IEnumerable<(string Call, IPAddress Host)> stallers, bool expectHandshakes = true)
    {
        var list = new List<(SfuSession, string, Task<string>)>();
        var index = 0;
        foreach (var (call, host) in stallers)
        {
            var session = Node.Session(call);
            var participant = $"staller-{index++}";
            var dropped = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            session.ParticipantDropped += (who, why) => { if (who == participant) dropped.TrySetResult(why); };
            var peer = Peer(host);
            await peer.StallAfterClientHelloFragmentAsync(session.AcceptOffer(participant, peer.CreateOffer()), TimeSpan.FromSeconds(5));
            list.Add((session, participant, dropped.Task));
        }
        // The node has seen every fragment: their handshakes started (or were refused) before the honest call begins.
        if (expectHandshakes) await Eventually.Holds(() => CountConnecting(list) == list.Count, TimeSpan.FromSeconds(3), "every staller's handshake started");
        return list;
    }

    private static int CountConnecting(IEnumerable<(SfuSession Session, string Participant, Task<string> Dropped)> stallers) =>
        stallers.Count(s => s.Session.Peer(s.Participant)?.State == PeerState.Connecting);

    private static async Task AllDroppedAfterTheTimeout(List<(SfuSession Session, string Participant, Task<string> Dropped)> stallers)
    {
        var reasons = await Task.WhenAll(stallers.Select(s => s.Dropped)).WaitAsync(HandshakeTimeout + TimeSpan.FromSeconds(4));
        Assert.All(reasons, reason => Assert.Contains("DTLS", reason));
        Assert.All(stallers, s => Assert.DoesNotContain(s.Participant, s.Session.Participants));
    }

    private SyntheticPeer Peer(IPAddress host)
    {
        var peer = new SyntheticPeer(host);
        Peers.Add(peer);
        return peer;
    }
}
