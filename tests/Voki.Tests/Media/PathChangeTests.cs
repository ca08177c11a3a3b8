using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Voki.Media.Client;
using Voki.Media.Ice;
using Voki.Media.Sfu;
using Voki.Tests.Infrastructure;
using Xunit.Abstractions;
using static Voki.Tests.Media.MediaCallHarness;

namespace Voki.Tests.Media;

/// <summary>
/// Where a participant's media goes (issue 10 item 6): a binding request from another address, replayed, forged or even
/// genuinely authenticated, does not take it; a peer whose socket really moved gets it on the new path once its SRTP comes from there.
/// </summary>
public sealed class PathChangeTests(ITestOutputHelper output) : MediaNodeTest
{
    private readonly List<Socket> _sockets = [];

    public override void Dispose()
    {
        foreach (var socket in _sockets) socket.Dispose();
        base.Dispose();
    }

    [Fact]
    public async Task Binding_requests_from_an_attackers_address_do_not_take_the_media()
    {
        var session = Node.Session("hostile/stun-path");
        var checks = new ConcurrentQueue<byte[]>();
        var alice = await JoinAsync(session, "alice", Peer(LoopbackHost(0), checks), TimeSpan.FromSeconds(5));
        var bob = await JoinAsync(session, "bob", Peer(LoopbackHost(1)), TimeSpan.FromSeconds(5));
        Assert.True(await PublishUntilEveryoneReceivesAsync([alice, bob], TimeSpan.FromSeconds(3)), "both get media");
        var path = session.Peer("alice")!.RemoteEndPoint;
        await Eventually.Holds(() => checks.Any(c => !UsesCandidate(c)), TimeSpan.FromSeconds(5), "a consent check of alice's");
        var nomination = checks.First(UsesCandidate);
        var consent = checks.First(c => !UsesCandidate(c));

        var attacker = Socket(new IPAddress([127, 0, 66, 6]));
        var attackerGot = new ConcurrentBag<byte>();
        _ = Task.Run(() =>
        {
            var buffer = new byte[2048];
            try { while (true) { var n = attacker.Receive(buffer); if (n > 0) attackerGot.Add(buffer[0]); } }
            catch (SocketException) { } catch (ObjectDisposedException) { }
        });
        var server = new IPEndPoint(IPAddress.Loopback, Node.Port);
        // Alice's nomination, replayed as captured; her consent check with USE-CANDIDATE put after MESSAGE-INTEGRITY and
        // FINGERPRINT made good (RFC 5389 §15.4); and a fresh check signed with her ICE password, as if it had leaked.
        var user = StunMessage.TryParse(nomination)!.Username!;
        var password = session.Peer("alice")!.LocalPassword;
        var forged = StunMessageTests.WithAttributesAfterIntegrity(consent, [(StunAttributeType.UseCandidate, [])]);
        Assert.True(StunMessage.TryParse(forged)!.VerifyIntegrity(password), "the forgery keeps a valid MESSAGE-INTEGRITY");
        for (var i = 0; i < 5; i++)
        {
            attacker.SendTo(nomination, server);
            attacker.SendTo(forged, server);
            attacker.SendTo(StunMessage.BindingRequest(RandomNumberGenerator.GetBytes(12), user, password, 0x7E0001FF, 43, useCandidate: true), server);
            await SyntheticMedia.PublishAsync([alice.Peer, bob.Peer], TimeSpan.FromMilliseconds(200));
        }
        var aliceBefore = alice.Got.Count;
        await PublishUntilAsync([alice.Peer, bob.Peer], () => alice.Got.Count > aliceBefore + 20, TimeSpan.FromSeconds(10));

        var c = Node.Counters;
        output.WriteLine($"attacker got {attackerGot.Count} datagrams ({attackerGot.Count(b => b is >= 128 and <= 191)} SRTP); alice {aliceBefore} → {alice.Got.Count}; {c}");
        Assert.Equal(path, session.Peer("alice")!.RemoteEndPoint);
        Assert.Equal(0, attackerGot.Count(b => b is >= 128 and <= 191));
        Assert.True(alice.Got.Count > aliceBefore + 20, $"alice got {alice.Got.Count - aliceBefore} packets after the attack");
        Assert.True(c.StunReplays >= 10, c.ToString()); // the replay and the forgery reuse captured transaction ids
        Assert.True(c.CandidatePaths >= 1 && c.PathChanges == 0, c.ToString()); // the fresh check made a candidate, no SRTP came from it
    }

    [Fact]
    public async Task A_peer_whose_socket_moves_gets_its_media_there_once_its_srtp_comes_from_the_new_path()
    {
        var session = Node.Session("hostile/moving-peer");
        var alice = await JoinAsync(session, "alice", Peer(LoopbackHost(2)), TimeSpan.FromSeconds(5));
        var bob = await JoinAsync(session, "bob", Peer(LoopbackHost(3)), TimeSpan.FromSeconds(5));
        Assert.True(await PublishUntilEveryoneReceivesAsync([alice, bob], TimeSpan.FromSeconds(3)), "both get media");
        var before = session.Peer("alice")!.RemoteEndPoint;

        await alice.Peer.MoveToNewSocketAsync(LoopbackHost(4), TimeSpan.FromSeconds(5));
        // Checked, not yet moved: bob's media still goes to the old path until alice's SRTP comes from the new one.
        await SyntheticMedia.PublishAsync([bob.Peer], TimeSpan.FromMilliseconds(300));
        Assert.Equal(before, session.Peer("alice")!.RemoteEndPoint);
        Assert.Equal(0, Node.Counters.PathChanges);

        var got = alice.Got.Count;
        await PublishUntilAsync([alice.Peer, bob.Peer], () => alice.Got.Count > got + 20, TimeSpan.FromSeconds(10));
        output.WriteLine($"alice moved {before} → {alice.Peer.LocalEndPoint}; got {alice.Got.Count - got} packets there; {Node.Counters}");
        Assert.Equal(alice.Peer.LocalEndPoint, session.Peer("alice")!.RemoteEndPoint);
        Assert.Equal(1, Node.Counters.PathChanges);
        Assert.True(alice.Got.Count > got + 20, $"alice got {alice.Got.Count - got} packets on the new path");
    }

    private static bool UsesCandidate(byte[] check) => StunMessage.TryParse(check)!.UseCandidate;

    private SyntheticPeer Peer(IPAddress host, ConcurrentQueue<byte[]>? stunChecks = null)
    {
        var peer = new SyntheticPeer(host)
        {
            DropOutgoing = stunChecks is null ? null : d => { if (d.Length > 20 && d[0] == 0 && d[1] == 1) stunChecks.Enqueue(d.ToArray()); return false; },
        };
        Peers.Add(peer);
        return peer;
    }

    private Socket Socket(IPAddress host)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(host, 0));
        _sockets.Add(socket);
        return socket;
    }
}
