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
/// Failures visible (issue 10 item 8): each kind of bad datagram moves its own counter, in the snapshot the metrics read,
/// and none costs an exception on the node's receive thread.
/// </summary>
public sealed class MediaCountersTests(ITestOutputHelper output) : MediaNodeTest
{
    private const int Each = 5;

    [Fact]
    public async Task Each_kind_of_bad_datagram_moves_its_own_counter_without_an_exception_on_the_receive_thread()
    {
        var session = Node.Session("hostile/counters");
        var sent = new ConcurrentQueue<byte[]>();
        var alice = new SyntheticPeer(LoopbackHost(0)) { DropOutgoing = d => { if (d.Length > 0 && d[0] >= 128) sent.Enqueue(d.ToArray()); return false; } };
        Peers.Add(alice);
        var bob = new SyntheticPeer(LoopbackHost(1));
        Peers.Add(bob);
        var joined = await Task.WhenAll(JoinAsync(session, "alice", alice, TimeSpan.FromSeconds(5)), JoinAsync(session, "bob", bob, TimeSpan.FromSeconds(5)));
        Assert.True(await PublishUntilEveryoneReceivesAsync(joined, TimeSpan.FromSeconds(3)), "both get media");
        var srtp = sent.Last(d => d[1] is not (>= 192 and <= 223));
        var aliceUser = $"{session.Peer("alice")!.LocalUfrag}:x";

        var thrown = new ConcurrentQueue<string>();
        void OnException(object? _, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (Thread.CurrentThread.Name == "media-receive" && e.Exception is not (ObjectDisposedException or SocketException)) thrown.Enqueue(e.Exception.GetType().Name);
        }
        AppDomain.CurrentDomain.FirstChanceException += OnException;
        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        stranger.Bind(new IPEndPoint(new IPAddress([127, 0, 66, 7]), 0));
        var server = new IPEndPoint(IPAddress.Loopback, Node.Port);
        var before = Node.Counters.Snapshot();
        try
        {
            for (var i = 0; i < Each; i++)
            {
                alice.SendRaw([0x50, 1, 2, 3]); // no protocol's first byte (RFC 7983)
                alice.SendRaw(StunMessage.BindingRequest(RandomNumberGenerator.GetBytes(12), "a:b", "p", 1, 2, false)[..24]); // cut short
                alice.SendRaw(StunMessage.BindingSuccess(RandomNumberGenerator.GetBytes(12), new IPEndPoint(IPAddress.Loopback, 9), "p"));
                alice.SendRaw(StunMessage.BindingRequest(RandomNumberGenerator.GetBytes(12), "nobody:x", "p", 1, 2, false));
                alice.SendRaw(StunMessage.BindingRequest(RandomNumberGenerator.GetBytes(12), aliceUser, "wrong-password", 1, 2, false));
                var forged = (byte[])srtp.Clone(); // a new sequence number, ahead: fresh for the replay window, so its tag is checked
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(forged.AsSpan(2), (ushort)(System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(forged.AsSpan(2)) + 1000 + i));
                alice.SendRaw(forged);
                alice.SendRaw(srtp); // replayed
                alice.SendRaw(srtp.AsSpan(0, 14)); // too short to carry a tag
                alice.SendRtcp([0x80, 201, 0, 9, 0, 0, 0, 1]); // authentic SRTCP, but its packet claims 40 bytes of 8
                stranger.SendTo(srtp, server); // from no one's path
                stranger.SendTo([22, 0xFE, 0xFD, 0, 0], server); // DTLS from no one's path
            }
            await Eventually.Holds(() => Moved(before, "rtcpMalformed") >= Each && Moved(before, "dtlsUnknownSource") >= Each,
                TimeSpan.FromSeconds(5), $"the last datagrams counted ({MediaCounters.Changes(Node.Counters.Snapshot(), before)})");
        }
        finally { AppDomain.CurrentDomain.FirstChanceException -= OnException; }

        var changes = MediaCounters.Changes(Node.Counters.Snapshot(), before);
        output.WriteLine($"after {Each} of each: {changes}");
        foreach (var counter in new[] { "unknownDatagrams", "stunMalformed", "stunNotRequests", "stunUnknownUser", "stunIntegrityFailures",
                     "srtpAuthenticationFailures", "srtpReplays", "srtpMalformed", "rtcpMalformed", "mediaUnknownSource", "dtlsUnknownSource" })
            Assert.True(Moved(before, counter) == Each, $"{counter} moved by {Moved(before, counter)}, not {Each}: {changes}");
        Assert.Equal(0, Moved(before, "handlerExceptions"));
        Assert.Empty(thrown);
    }

    private long Moved(IReadOnlyDictionary<string, long> before, string counter) => Node.Counters.Snapshot()[counter] - before[counter];
}
