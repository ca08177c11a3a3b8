using System.Collections.Concurrent;
using System.Buffers.Binary;
using Voki.Media.Client;
using Voki.Media.Rtp;
using Voki.Media.Sdp;
using Voki.Media.Sfu;

namespace Voki.Tests.Media;

/// <summary>
/// Simulcast through the SFU with client-mode peers: a publisher sends three VP8 layers named by RtpStreamId (RFC 8852),
/// each subscriber gets the layer its REMB says its link carries, as one continuous stream, and the recording takes the top layer.
/// </summary>
public sealed class SimulcastTests : MediaNodeTest
{
    private static readonly string[] Rids = ["q", "h", "f"];
    // Payload bytes per 20 ms frame: about 50, 150 and 410 kbit/s with headers.
    private static readonly int[] LayerSizes = [100, 350, 1000];

    [Fact]
    public void The_answer_receives_the_offered_layers_by_rid()
    {
        var session = Node.Session("tenant/sim-answer");
        var alice = Peer(new SyntheticPeer { SimulcastRids = ["q", "h", "f", "x", "y"] });
        var answer = SessionDescription.Parse(session.AcceptOffer("alice", alice.CreateOffer()));
        var video = answer.Media.Single(m => m.Kind == "video");
        Assert.Equal(["q recv", "h recv", "f recv"], video.AttributeValues("rid"));
        Assert.Equal("recv q;h;f", video.Attribute("simulcast"));
        Assert.Equal(SyntheticPeer.RidExtensionId, video.IdOf(RtpStreamId.RidUri));
        Assert.Equal(SyntheticPeer.MidExtensionId, video.IdOf(RtpStreamId.MidUri));
        Assert.DoesNotContain(video.AttributeValues("ssrc"), _ => true);
    }

    [Fact]
    public async Task A_subscriber_gets_the_layer_its_downlink_carries_as_one_continuous_stream()
    {
        var session = Node.Session("tenant/sim-switch");
        var (alice, bob, got) = await PublisherAndSubscriberAsync(session);

        using var publishing = new CancellationTokenSource();
        var publisher = PublishLayersAsync(alice, publishing.Token);
        try
        {
            // A wide downlink gets the full layer, a 250 kbit/s one the half, a 100 kbit/s one the quarter; then wide again.
            foreach (var (estimate, layer) in new[] { (5_000_000UL, 2), (250_000UL, 1), (100_000UL, 0), (5_000_000UL, 2) })
                await ReportUntilLayerAsync(bob, got, estimate, layer, TimeSpan.FromSeconds(8));
        }
        finally
        {
            publishing.Cancel();
            await publisher;
        }

        Assert.Equal(3, Node.Counters.SimulcastStreamsBound);
        Assert.True(Node.Counters.LayerSwitches >= 4, Node.Counters.ToString());
        var packets = got.ToArray();
        Assert.Single(packets.Select(p => p.Ssrc).Distinct()); // one stream for the subscriber, whatever the layer
        // Every packet sent between the first and the last, in order: no gap, no repeat, where the layers changed too.
        var ordered = packets.OrderBy(p => p.ArrivalTicks).ToArray();
        for (var i = 1; i < ordered.Length; i++)
        {
            Assert.Equal((ushort)(ordered[i - 1].Sequence + 1), ordered[i].Sequence);
            var step = (int)(ordered[i].Timestamp - ordered[i - 1].Timestamp);
            Assert.InRange(step, 1, 9000);
            // One packet per picture: the picture ids go on one by one across switches (RFC 7741 §4.2).
            Assert.Equal((PictureId(ordered[i - 1]) + 1) & 0x7FFF, PictureId(ordered[i]));
        }
        // The best layer until the first estimate, then as the estimates say.
        Assert.Equal([2, 1, 0, 2], Runs(ordered.Select(LayerOf)).ToArray());
    }

    [Fact]
    public async Task A_keyframe_start_that_arrives_after_the_rest_of_its_picture_does_not_switch_the_subscriber()
    {
        var session = Node.Session("tenant/sim-late-keyframe");
        var (alice, bob, got) = await PublisherAndSubscriberAsync(session);
        var lateKeyframes = 1;
        using var publishing = new CancellationTokenSource();
        var publisher = Task.Run(async () =>
        {
            for (var frame = 0; !publishing.IsCancellationRequested; frame++)
            {
                for (var layer = 0; layer < Rids.Length; layer++)
                {
                    var keyframe = (frame + 3 * layer) % 10 == 0;
                    var (pictureId, timestamp) = (layer * 5000 + frame, (uint)(layer * 700_000_000 + frame * 1800));
                    if (layer == 1 && keyframe && Volatile.Read(ref lateKeyframes) == 1)
                    {
                        // The half layer's keyframes in two packets, the start reordered behind the rest of its picture.
                        var first = alice.ReserveLayerSequences(1, 2);
                        var rest = Frame(1, pictureId, keyframe: true);
                        rest[0] = 0x80; // X, not the start of the partition
                        alice.SendLayer(1, rest, timestamp, marker: true, named: frame < 50, sequence: (ushort)(first + 1));
                        alice.SendLayer(1, Frame(1, pictureId, keyframe: true), timestamp, marker: false, named: frame < 50, sequence: first);
                        continue;
                    }
                    alice.SendLayer(layer, Frame(layer, pictureId, keyframe), timestamp, marker: true, named: frame < 50);
                }
                await Task.Delay(20, CancellationToken.None);
            }
        });
        try
        {
            // The full layer until the estimate falls to the half layer's; its late keyframe starts must not switch.
            await ReportUntilLayerAsync(bob, got, 5_000_000, 2, TimeSpan.FromSeconds(8));
            var remb = new byte[64];
            for (var i = 0; i < 20; i++)
            {
                bob.SendRtcp(remb.AsSpan(0, RtcpWriter.Remb(remb, 0x5E11D, 250_000, [0])));
                await Task.Delay(100);
            }
            Assert.DoesNotContain(got, p => LayerOf(p) == 1);
            // In order again, the next keyframe switches it.
            Volatile.Write(ref lateKeyframes, 0);
            await ReportUntilLayerAsync(bob, got, 250_000, 1, TimeSpan.FromSeconds(8));
        }
        finally
        {
            publishing.Cancel();
            await publisher;
        }
    }

    [Fact]
    public async Task The_recording_takes_the_top_two_layers_whatever_the_subscribers_get()
    {
        var session = Node.Session("tenant/sim-record");
        var directory = Directory.CreateTempSubdirectory("voki-simulcast-").FullName;
        try
        {
            session.StartCapture(directory);
            var (alice, bob, got) = await PublisherAndSubscriberAsync(session);
            using var publishing = new CancellationTokenSource();
            var publisher = PublishLayersAsync(alice, publishing.Token);
            await ReportUntilLayerAsync(bob, got, 100_000, 0, TimeSpan.FromSeconds(8));
            publishing.Cancel();
            await publisher;
            session.Close();

            // The top layer, and the one below for where the top one pauses; never the quarter the subscriber got.
            var video = Directory.GetFiles(directory, "alice-video-*").Select(Path.GetFileNameWithoutExtension).Order().ToArray();
            Assert.Equal(new[] { $"alice-video-{alice.LayerSsrcs[1]:x8}", $"alice-video-{alice.LayerSsrcs[2]:x8}" }.Order(), video);
        }
        finally { Directory.Delete(directory, recursive: true); }
    }

    [Fact]
    public async Task Packets_naming_an_unoffered_rid_or_a_bound_layer_under_another_ssrc_are_refused()
    {
        var session = Node.Session("tenant/sim-hostile");
        var (alice, bob, got) = await PublisherAndSubscriberAsync(session);
        using (var publishing = new CancellationTokenSource())
        {
            var publisher = PublishLayersAsync(alice, publishing.Token);
            await ReportUntilLayerAsync(bob, got, 5_000_000, 2, TimeSpan.FromSeconds(8));
            var unknownBefore = Node.Counters.RtpUnknownSsrc;
            for (var i = 0; i < 20; i++)
            {
                alice.SendLayer(2, Frame(2, 0x7000 + i, keyframe: true), 0, marker: true, rid: "zz", ssrc: 0x0BADF00D);
                alice.SendLayer(2, Frame(2, 0x7100 + i, keyframe: true), 0, marker: true, ssrc: 0x0BADF00E); // "f" again, another SSRC
            }
            await Task.Delay(300);
            publishing.Cancel();
            await publisher;
            Assert.True(Node.Counters.RtpUnknownSsrc - unknownBefore >= 40, Node.Counters.ToString());
        }
        Assert.Equal(3, Node.Counters.SimulcastStreamsBound);
        Assert.DoesNotContain(got, p => PictureId(p) >= 0x7000);
    }

    /// <summary>Alice publishes the three layers; Bob receives, his video packets (with their payloads) collected in order.</summary>
    private async Task<(SyntheticPeer Alice, SyntheticPeer Bob, ConcurrentQueue<ReceivedPacket> BobGot)> PublisherAndSubscriberAsync(SfuSession session)
    {
        var alice = Peer(new SyntheticPeer { SimulcastRids = Rids });
        await SyntheticMedia.JoinAsync(session, "alice", alice);
        var bob = Peer(new SyntheticPeer { KeepPayloads = true });
        var got = new ConcurrentQueue<ReceivedPacket>();
        bob.PacketReceived += p => { if (p.PayloadType == SyntheticPeer.Vp8PayloadType) got.Enqueue(p); };
        await SyntheticMedia.JoinAsync(session, "bob", bob);
        return (alice, bob, got);
    }

    private SyntheticPeer Peer(SyntheticPeer peer)
    {
        Peers.Add(peer);
        return peer;
    }

    /// <summary>
    /// Publishes the three layers every 20 ms, each with its own timestamps and picture ids (as libwebrtc does) and a
    /// keyframe every 10 frames (staggered); the payload's byte after the frame tag says which layer it is.
    /// </summary>
    private static async Task PublishLayersAsync(SyntheticPeer peer, CancellationToken stop)
    {
        for (var frame = 0; !stop.IsCancellationRequested; frame++)
        {
            for (var layer = 0; layer < Rids.Length; layer++)
                peer.SendLayer(layer, Frame(layer, layer * 5000 + frame, keyframe: (frame + 3 * layer) % 10 == 0),
                    (uint)(layer * 700_000_000 + frame * 1800), marker: true, named: frame < 50);
            await Task.Delay(20, CancellationToken.None);
        }
    }

    /// <summary>A one-packet VP8 frame: descriptor with a 15-bit PictureID (RFC 7741 §4.2), then the frame tag, then the layer.</summary>
    private static byte[] Frame(int layer, int pictureId, bool keyframe)
    {
        var payload = new byte[LayerSizes[layer]];
        payload[0] = 0x90; // X, S, partition 0
        payload[1] = 0x80; // I
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(2), (ushort)(0x8000 | (pictureId & 0x7FFF)));
        payload[4] = (byte)(keyframe ? 0x00 : 0x01);
        payload[5] = (byte)layer;
        return payload;
    }

    private static int PictureId(ReceivedPacket packet) => BinaryPrimitives.ReadUInt16BigEndian(packet.Payload.AsSpan(2)) & 0x7FFF;

    private static int LayerOf(ReceivedPacket packet) => packet.Payload![5];

    private static int[] Runs(IEnumerable<int> values)
    {
        var runs = new List<int>();
        foreach (var value in values) if (runs.Count == 0 || runs[^1] != value) runs.Add(value);
        return [.. runs];
    }

    /// <summary>Sends REMB <paramref name="estimate"/> every 100 ms until the subscriber receives <paramref name="layer"/>.</summary>
    private static async Task ReportUntilLayerAsync(SyntheticPeer subscriber, ConcurrentQueue<ReceivedPacket> got, ulong estimate, int layer, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var remb = new byte[64];
        while (DateTime.UtcNow < deadline)
        {
            var length = RtcpWriter.Remb(remb, 0x5E11D, estimate, [0]);
            subscriber.SendRtcp(remb.AsSpan(0, length));
            await Task.Delay(100);
            var recent = got.Reverse().Take(10).ToArray();
            if (recent.Length == 10 && recent.All(p => LayerOf(p) == layer)) return;
        }
        Assert.Fail($"the subscriber did not get layer {layer} within {timeout} at REMB {estimate}; last layers: {string.Join(',', got.Reverse().Take(10).Select(LayerOf))}");
    }
}
