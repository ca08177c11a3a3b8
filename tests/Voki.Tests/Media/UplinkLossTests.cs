using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using Voki.Media.Client;
using Voki.Media.Recording;
using Voki.Media.Sdp;
using Voki.Media.Sfu;
using Voki.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Voki.Tests.Media;

/// <summary>
/// Loss on the way to the SFU, end to end on loopback: a client-mode publisher whose uplink drops a share of its video
/// packets and that answers NACKs like a browser; a subscriber on a clean link; the call recorded.
/// </summary>
public sealed class UplinkLossTests(ITestOutputHelper output) : MediaNodeTest
{
    private const int FramesPerSecond = 30, KeyframeEvery = 60, PacketsPerDeltaFrame = 3, PacketsPerKeyframe = 8;
    private readonly string _captureDirectory = Path.Combine(Path.GetTempPath(), "voki-uplink-" + Guid.NewGuid().ToString("N"));

    public override void Dispose()
    {
        base.Dispose();
        try { Directory.Delete(_captureDirectory, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Five_percent_uplink_video_loss_is_recovered_for_the_subscriber_and_the_recording(bool rtx)
    {
        var session = Node.Session($"tenant/uplink-{rtx}");
        var capture = session.StartCapture(_captureDirectory);
        var (publisher, _) = await Join(session, "publisher", new SyntheticPeer { OfferRtx = rtx, UplinkVideoLoss = 0.05, LossSeed = 7 });
        var (_, got) = await Join(session, "subscriber", new SyntheticPeer { OfferRtx = rtx });
        await Eventually.Holds(() => session.Peer("subscriber")!.Forwarded.Values.Count(f => f.Active) == 2, TimeSpan.FromSeconds(5), "the subscriber's answer");
        var received = 0L;
        var subscriber = Peers[^1];
        subscriber.PacketReceived += p => { if (p.PayloadType == SyntheticPeer.Vp8PayloadType) Interlocked.Increment(ref received); };

        var (frames, audioPackets) = await PublishAsync(publisher, TimeSpan.FromSeconds(4));
        var sent = publisher.VideoPacketsSent;
        int Video() => got.Values.Count(p => p.PayloadType == SyntheticPeer.Vp8PayloadType);
        // The last losses need a round trip or two to be resent.
        await Eventually.Holds(() => Video() >= sent, TimeSpan.FromSeconds(3), "every video packet at the subscriber").ContinueWith(_ => { });
        var c = Node.Counters;
        output.WriteLine($"rtx={rtx}: sent {sent} video packets, {publisher.VideoPacketsDropped} lost on the uplink, {publisher.NacksReceived} NACKs answered " +
            $"with {publisher.PacketsResent} resends; subscriber got {Video()} distinct ({received} in all); {c}");

        Assert.True(publisher.VideoPacketsDropped >= sent * 0.03, $"the uplink lost only {publisher.VideoPacketsDropped} of {sent}");
        Assert.True(Video() >= sent * 0.99, $"the subscriber got {Video()} of {sent} video packets");
        Assert.Equal(Video(), received); // what was resent twice is forwarded once
        Assert.True(c.NacksSent > 0 && c.PacketsRecovered > 0, c.ToString());
        if (rtx) Assert.True(c.RtxReceived >= c.PacketsRecovered, c.ToString());
        else Assert.Equal(0, c.RtxReceived);

        session.Close();
        var files = TimelineEvent.Read(_captureDirectory).Where(e => e.Type == "track").ToDictionary(e => e.Kind!, e => Path.Combine(_captureDirectory, e.File!));
        var ivf = IvfFile.Inspect(files["video"]);
        output.WriteLine($"recorded {ivf.FrameCount} of {frames} frames; {capture.DroppedWrites} writes dropped");
        Assert.True(ivf.FrameCount >= frames * 0.97, $"the recording holds {ivf.FrameCount} of {frames} frames");
        var granules = Granules(files["audio"]);
        Assert.True(granules.Count >= audioPackets * 0.99, $"{granules.Count} of {audioPackets} audio packets recorded");
        Assert.Equal(granules.Order(), granules); // never backwards
    }

    // Before: every receiver report to a publisher said fraction lost 0 and jitter 0, whatever its uplink did.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Receiver_reports_carry_the_uplinks_real_loss_and_the_calls_quality_its_loss_as_first_sent(bool answerNacks)
    {
        var session = Node.Session($"tenant/reports-{answerNacks}");
        var (publisher, _) = await Join(session, "publisher", new SyntheticPeer { OfferRtx = true, UplinkVideoLoss = 0.05, LossSeed = 11, AnswerNacks = answerNacks });
        await Join(session, "subscriber", new SyntheticPeer { OfferRtx = true });
        await Eventually.Holds(() => session.Peer("subscriber")!.Forwarded.Values.Count(f => f.Active) == 2, TimeSpan.FromSeconds(5), "the subscriber's answer");
        var blocks = new ConcurrentQueue<Voki.Media.Rtp.ReportBlock>();
        publisher.ReportBlockReceived += blocks.Enqueue;

        await PublishAsync(publisher, TimeSpan.FromSeconds(5));
        await Task.Delay(1500); // one more report covers the last second
        var dropped = Interlocked.Read(ref publisher.VideoPacketsDropped);
        var video = blocks.Where(b => b.Ssrc == publisher.VideoSsrc).ToList();
        var audio = blocks.Where(b => b.Ssrc == publisher.AudioSsrc).ToList();
        var quality = session.Quality().ToDictionary(q => q.ParticipantId);
        var uplink = quality["publisher"].Uplink;
        output.WriteLine($"answerNacks={answerNacks}: {publisher.VideoPacketsSent} video packets sent, {dropped} dropped; video reports (fraction/256, cumulative, jitter): " +
            string.Join(' ', video.Select(b => $"{b.FractionLost}/{b.CumulativeLost}/{b.Jitter}")) + $"; uplink {uplink}");
        Assert.True(video.Count >= 4 && audio.Count >= 4, $"{video.Count} video and {audio.Count} audio report blocks");
        Assert.All(audio, b => Assert.Equal((0, 0), (b.FractionLost, b.CumulativeLost)));
        // The jitter is measured now (its arithmetic is ReceptionStatisticsTests'): this publisher's 5 ms send loop on a busy
        // machine gives some, never the 0 every report carried before, and never what only a broken estimate would.
        Assert.Contains(audio.Concat(video), b => b.Jitter > 0);
        Assert.All(audio, b => Assert.True(b.Jitter < 48 * 200, $"audio jitter {b.Jitter} units: 200 ms on loopback is no estimate"));
        Assert.True(video.Zip(video.Skip(1)).All(p => p.First.ExtendedHighestSequence <= p.Second.ExtendedHighestSequence), "the extended highest sequence never goes back");
        var reportedLost = video.Max(b => b.CumulativeLost);
        if (answerNacks)
        {
            // Resent packets arrived: what a report counts lost is only what stayed lost (a resend lost too, at 5 %).
            Assert.True(reportedLost <= dropped / 4, $"{reportedLost} reported lost of {dropped} dropped, most resent");
            Assert.True(uplink.PacketsUnrecovered <= dropped / 4, uplink.ToString());
        }
        else
        {
            // Nothing resent: the reports count every drop but perhaps the last few (no later packet shows them missing).
            Assert.InRange(reportedLost, dropped - 3, dropped);
            var meanFraction = video.Skip(1).Average(b => b.FractionLost / 256.0);
            Assert.InRange(meanFraction, 0.02, 0.09);
            Assert.InRange(uplink.PacketsUnrecovered, dropped - 3, dropped);
        }
        // The quality's loss is the uplink's own, retransmissions or not: every first send dropped, of audio and video together.
        Assert.InRange(uplink.PacketsLost, (long)(dropped * 0.8) - 3, dropped);
        Assert.InRange(uplink.PacketsExpected, publisher.VideoPacketsSent, publisher.VideoPacketsSent + 400);
        Assert.InRange(uplink.Loss.Average!.Value, 0.01, 0.07);
        Assert.True(uplink.Bytes > 0 && uplink.Bitrate.Average > 0, uplink.ToString());
        var subscriber = quality["subscriber"];
        Assert.Equal(0, subscriber.Uplink.PacketsExpected);
        Assert.True(subscriber.Downlink.PacketsSent >= publisher.VideoPacketsSent - dropped && subscriber.Downlink.Bytes > 0, subscriber.Downlink.ToString());
        Assert.True(subscriber.Connected && subscriber.MeasuredSeconds >= 4, subscriber.ToString());
    }

    [Fact]
    public async Task A_subscribers_downlink_loss_is_what_its_reports_count_less_the_gaps_its_publishers_uplink_left()
    {
        var session = Node.Session("tenant/downlink-own-loss");
        var (publisher, _) = await Join(session, "publisher", new SyntheticPeer { UplinkVideoLoss = 0.1, LossSeed = 13, AnswerNacks = false });
        var (subscriber, _) = await Join(session, "subscriber", new SyntheticPeer { AnswerSenderReports = false });
        await Eventually.Holds(() => session.Peer("subscriber")!.Forwarded.Values.Count(f => f.Active) == 2, TimeSpan.FromSeconds(5), "the subscriber's answer");
        await PublishAsync(publisher, TimeSpan.FromSeconds(2));
        var video = session.Peer("subscriber")!.Forwarded.Values.Single(f => f.Source.Kind == "video");
        var gaps = video.Sent.Lost;
        Assert.InRange(gaps, Interlocked.Read(ref publisher.VideoPacketsDropped) - 3, Interlocked.Read(ref publisher.VideoPacketsDropped));
        Assert.True(gaps > 5, $"{gaps} gaps forwarded");

        // The subscriber reports what a receiver counts: every gap, and then 3 packets of its own lost over 100 more.
        var report = new byte[32];
        var highest = video.Sent.ExtendedHighest;
        void Report(int cumulative, uint extended)
        {
            var length = Voki.Media.Rtp.RtcpWriter.ReceiverReport(report, subscriber.VideoSsrc, video.LocalSsrc, 0, cumulative, extended, 90, 0, 0);
            subscriber.SendRtcp(report.AsSpan(0, length));
        }
        Report((int)gaps, highest);
        await Task.Delay(1300); // one quality sample takes it
        Report((int)gaps + 3, highest + 100);
        await Eventually.Holds(() => session.Quality().Single(q => q.ParticipantId == "subscriber").Downlink.Loss.Average is not null, TimeSpan.FromSeconds(3), "a sample of the second report");
        var downlink = session.Quality().Single(q => q.ParticipantId == "subscriber").Downlink;
        output.WriteLine(downlink.ToString());
        Assert.Equal(3, downlink.PacketsLost);
        Assert.Equal(0.03, downlink.Loss.Average!.Value, 3);
        Assert.Equal(1.0, downlink.JitterMs.Average!.Value, 3); // 90 units of a 90 kHz clock
    }

    [Fact]
    public async Task A_publisher_that_never_resends_is_asked_for_a_keyframe_once_its_packets_are_given_up_and_the_recording_resumes_on_it()
    {
        var session = Node.Session("tenant/no-resend");
        session.StartCapture(_captureDirectory);
        var (publisher, _) = await Join(session, "publisher", new SyntheticPeer { OfferRtx = true, UplinkVideoLoss = 0.02, LossSeed = 3, AnswerNacks = false });
        await Join(session, "subscriber", new SyntheticPeer());
        await Eventually.Holds(() => session.Peer("subscriber")!.Forwarded.Values.Count(f => f.Active) == 2, TimeSpan.FromSeconds(5), "the subscriber's answer");
        var (frames, _) = await PublishAsync(publisher, TimeSpan.FromSeconds(4));
        var video = session.Peer("publisher")!.Published[publisher.VideoSsrc].Receiver;
        await Eventually.Holds(() => video.Missing == 0, TimeSpan.FromSeconds(5), "every request given up");
        session.Close();

        var c = Node.Counters;
        output.WriteLine($"{publisher.VideoPacketsDropped} lost, {publisher.NacksReceived} NACKs unanswered, {publisher.PliReceived} PLIs; {c}");
        Assert.True(c.NackGiveUps >= publisher.VideoPacketsDropped - 1, c.ToString()); // every loss but perhaps the very last
        Assert.True(publisher.NacksReceived >= c.NackGiveUps, "each packet was asked for before it was given up");
        Assert.True(c.PacketsNacked >= 2 * c.NackGiveUps, "and asked for again");
        // Recorded: frames up to each loss, none that depend on what was lost, and again from the keyframe that mends it.
        var recorded = IvfFrames(TimelineEvent.Read(_captureDirectory).Where(e => e is { Type: "track", Kind: "video" }).Select(e => Path.Combine(_captureDirectory, e.File!)).Single());
        var numbers = recorded.Select(f => BinaryPrimitives.ReadInt32BigEndian(f.AsSpan(1))).ToList();
        Assert.True(recorded.Count < frames && recorded.Count > frames / 3, $"{recorded.Count} of {frames} frames recorded");
        Assert.Equal(numbers.Order(), numbers);
        Assert.True((recorded[0][0] & 0x01) == 0, "the recording starts on a keyframe");
        for (var i = 1; i < numbers.Count; i++)
            if (numbers[i] != numbers[i - 1] + 1) Assert.True((recorded[i][0] & 0x01) == 0, $"frame {numbers[i]} after a gap from {numbers[i - 1]} is not a keyframe");
    }

    /// <summary>The frames of an IVF file (32-byte file header, then per frame a 12-byte header and the frame).</summary>
    private static List<byte[]> IvfFrames(string path)
    {
        var ivf = File.ReadAllBytes(path);
        var frames = new List<byte[]>();
        for (var at = IvfFile.HeaderSize; at + IvfFile.FrameHeaderSize <= ivf.Length;)
        {
            var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(ivf.AsSpan(at));
            frames.Add(ivf.AsSpan(at + IvfFile.FrameHeaderSize, size).ToArray());
            at += IvfFile.FrameHeaderSize + size;
        }
        return frames;
    }

    [Fact]
    public async Task A_subscriber_that_accepted_rtx_gets_its_retransmissions_as_rtx_and_one_that_did_not_gets_them_plain()
    {
        var session = Node.Session("tenant/downlink-rtx");
        var offers = new ConcurrentDictionary<string, string>();
        session.OfferReady += (who, sdp) => offers[who] = sdp;
        // Each subscriber's downlink loses every tenth video packet the first time it comes.
        Func<uint, ushort, bool> EveryTenth(ConcurrentDictionary<ushort, bool> lost) => (_, sequence) => sequence % 10 == 0 && lost.TryAdd(sequence, true);
        ConcurrentDictionary<ushort, bool> lostWithRtx = new(), lostPlain = new();
        var (publisher, _) = await Join(session, "publisher", new SyntheticPeer());
        var (withRtx, _) = await Join(session, "with-rtx", new SyntheticPeer { OfferRtx = true, DropIncomingVideo = EveryTenth(lostWithRtx) });
        var (plain, _) = await Join(session, "plain", new SyntheticPeer { DropIncomingVideo = EveryTenth(lostPlain) });
        await Eventually.Holds(() => new[] { "with-rtx", "plain" }.All(who => session.Peer(who)!.Forwarded.Values.Any(f => f.Active && f.Source.Publisher.ParticipantId == "publisher" && f.Source.Kind == "video")),
            TimeSpan.FromSeconds(5), "both subscribers' answers");
        var resent = new ConcurrentDictionary<(string, ushort), ReceivedPacket>();
        withRtx.PacketReceived += p => { if (lostWithRtx.ContainsKey(p.Sequence)) resent[("with-rtx", p.Sequence)] = p; };
        plain.PacketReceived += p => { if (lostPlain.ContainsKey(p.Sequence)) resent[("plain", p.Sequence)] = p; };

        await PublishAsync(publisher, TimeSpan.FromSeconds(1));
        static MediaDescription PublishersVideo(string offer) => SessionDescription.Parse(offer).Media
            .Single(m => m is { Kind: "video", Direction: "sendonly" } && m.Attribute("msid")!.StartsWith("publisher "));
        var video = PublishersVideo(offers["with-rtx"]);
        Assert.Equal(SyntheticPeer.RtxPayloadType, video.RtxPayloadTypeFor(SyntheticPeer.Vp8PayloadType)); // the subscriber's own RTX payload type
        Assert.NotNull(video.RepairSsrcFor(video.FirstSsrc!.Value));
        var plainVideo = PublishersVideo(offers["plain"]);
        Assert.Null(plainVideo.RtxPayloadTypeFor(SyntheticPeer.Vp8PayloadType));
        Assert.Empty(resent);

        // The latest losses: a plain retransmission must still be inside the subscriber's SRTP replay window (RFC 3711 §3.3.2).
        static ushort[] Latest(ConcurrentDictionary<ushort, bool> lost) => [.. lost.Keys.Order().TakeLast(3)];
        var (askWithRtx, askPlain) = (Latest(lostWithRtx), Latest(lostPlain));
        Assert.Equal(3, askWithRtx.Length);
        withRtx.SendNack(video.FirstSsrc!.Value, askWithRtx);
        plain.SendNack(plainVideo.FirstSsrc!.Value, askPlain);
        await Eventually.Holds(() => resent.Count == 6, TimeSpan.FromSeconds(5), "six retransmissions");
        foreach (var s in askWithRtx) Assert.Equal((true, SyntheticPeer.Vp8PayloadType, video.FirstSsrc!.Value), (resent[("with-rtx", s)].Retransmitted, resent[("with-rtx", s)].PayloadType, resent[("with-rtx", s)].Ssrc));
        foreach (var s in askPlain) Assert.Equal((false, SyntheticPeer.Vp8PayloadType, plainVideo.FirstSsrc!.Value), (resent[("plain", s)].Retransmitted, resent[("plain", s)].PayloadType, resent[("plain", s)].Ssrc));
        Assert.Equal(3, Node.Counters.RtxSent);
        Assert.Equal(6, Node.Counters.Retransmissions);
    }

    [Fact]
    public void A_publishers_rtx_is_answered_under_its_own_payload_types()
    {
        var session = Node.Session("tenant/firefox-rtx");
        var firefox = new SyntheticPeer { OfferRtx = true };
        Peers.Add(firefox);
        var offer = firefox.CreateOffer()
            .Replace($"SAVPF {SyntheticPeer.Vp8PayloadType} {SyntheticPeer.RtxPayloadType}\r\n", "SAVPF 120 124\r\n")
            .Replace($":{SyntheticPeer.Vp8PayloadType} ", ":120 ").Replace($":{SyntheticPeer.RtxPayloadType} ", ":124 ")
            .Replace($"apt={SyntheticPeer.Vp8PayloadType}", "apt=120");
        Assert.Contains("a=fmtp:124 apt=120", offer);
        var video = SessionDescription.Parse(session.AcceptOffer("firefox", offer)).Media.Single(m => m.Kind == "video");
        Assert.Equal(["120", "124"], video.Formats);
        Assert.Equal(124, video.RtxPayloadTypeFor(120));
        var track = session.Peer("firefox")!.Published[firefox.VideoSsrc];
        Assert.Equal((firefox.VideoRtxSsrc, 124), (track.RtxSsrc, track.RtxPayloadType));

        // Without RTX in the offer, none in the answer.
        var chromiumWithout = new SyntheticPeer();
        Peers.Add(chromiumWithout);
        var plain = SessionDescription.Parse(session.AcceptOffer("plain", chromiumWithout.CreateOffer())).Media.Single(m => m.Kind == "video");
        Assert.Equal([SyntheticPeer.Vp8PayloadType.ToString()], plain.Formats);
    }

    private async Task<(SyntheticPeer, ConcurrentDictionary<(uint, ushort), ReceivedPacket>)> Join(SfuSession session, string participant, SyntheticPeer peer)
    {
        Peers.Add(peer);
        return (peer, await SyntheticMedia.JoinAsync(session, participant, peer));
    }

    /// <summary>
    /// 30 fps VP8-shaped frames (a keyframe every two seconds and whenever the SFU sends a PLI, as a browser does;
    /// several packets per frame) and 20 ms audio, in real time. Returns the frames and audio packets sent.
    /// </summary>
    private static async Task<(int Frames, int AudioPackets)> PublishAsync(SyntheticPeer peer, TimeSpan duration)
    {
        var audio = new byte[80];
        audio[0] = 0x78; // Opus TOC: CELT-only fullband 20 ms, one frame
        var chunk = new byte[900];
        var clock = Stopwatch.StartNew();
        int frames = 0, audioPackets = 0, tick = 0;
        var plis = peer.PliReceived;
        while (clock.Elapsed < duration)
        {
            // Like an encoder on a busy machine, a late frame is skipped rather than sent in a burst with the next.
            var now = clock.Elapsed.TotalSeconds;
            for (; audioPackets * 0.020 <= now; audioPackets++) peer.Send(video: false, audio, (uint)(audioPackets * 960), marker: false);
            if (tick / (double)FramesPerSecond > now) { await Task.Delay(5); continue; }
            tick = (int)(now * FramesPerSecond) + 1;
            var keyframe = frames % KeyframeEvery == 0 || Interlocked.Read(ref peer.PliReceived) != plis;
            plis = Interlocked.Read(ref peer.PliReceived);
            var packets = keyframe ? PacketsPerKeyframe : PacketsPerDeltaFrame;
            for (var k = 0; k < packets; k++)
            {
                chunk[0] = (byte)(k == 0 ? 0x10 : 0x00); // VP8 descriptor: S on the frame's first packet, partition 0
                chunk[1] = (byte)(keyframe ? 0x00 : 0x01); // frame tag: bit 0 clear on a keyframe
                BinaryPrimitives.WriteInt32BigEndian(chunk.AsSpan(2), frames);
                peer.Send(video: true, chunk, (uint)(now * 90000), marker: k == packets - 1);
            }
            frames++;
        }
        return (frames, audioPackets);
    }

    /// <summary>The granule position of every audio page of an Ogg file (RFC 3533 §6), after the two header pages.</summary>
    private static List<long> Granules(string path)
    {
        var ogg = File.ReadAllBytes(path);
        var granules = new List<long>();
        for (var at = 0; at + 27 <= ogg.Length;)
        {
            var segments = ogg[at + 26];
            var body = 0;
            for (var i = 0; i < segments; i++) body += ogg[at + 27 + i];
            granules.Add(BinaryPrimitives.ReadInt64LittleEndian(ogg.AsSpan(at + 6)));
            at += 27 + segments + body;
        }
        return granules.Skip(2).ToList();
    }
}
