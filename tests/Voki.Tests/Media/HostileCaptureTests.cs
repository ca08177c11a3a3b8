using Voki.Media.Client;
using Voki.Media.Recording;
using Voki.Media.Sfu;
using Voki.Tests.Infrastructure;
using Voki.Tests.Recording;
using Voki.Transcription;
using static Voki.Tests.Media.MediaCallHarness;

namespace Voki.Tests.Media;

/// <summary>
/// Senders that would make a call's capture grow without bound (issue 10, item 5): a timestamp jump of 2^31, a flood
/// of bytes beyond a track's ceiling, a disk below its watermark, calls beyond their tenant's quota. The capture of
/// what is honest stays whole and placed within the call; the live call is never affected.
/// </summary>
[Collection(MemoryMeasuredCollection.Name)]
public sealed class HostileCaptureTests : IDisposable
{
    private readonly List<MediaNode> _nodes = [];
    private readonly List<SyntheticPeer> _peers = [];
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("voki-hostile-capture-");

    public void Dispose()
    {
        foreach (var peer in _peers) peer.Dispose();
        foreach (var node in _nodes) node.Dispose();
        try { _root.Delete(recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_timestamp_jump_of_2_pow_31_starts_a_new_segment_and_every_track_stays_within_the_call()
    {
        var clip = await EncodedClip.GenerateAsync(Path.Combine(_root.FullName, "clip"), "0x3060a0", 3.5);
        var node = Node(new CaptureLimits());
        var (session, capture, joined) = await RecordedCall(node, "acme/jump", "alice", "mallory");
        var (alice, mallory) = (joined[0].Peer, joined[1].Peer);
        // Half way through, Mallory's clocks leap half their range ahead; Alice's run on.
        await clip.PublishAsync([alice, mallory], CancellationToken.None, (peer, seconds) => peer == mallory && seconds >= 1.5 ? 1u << 31 : 0);
        var (model, bytes) = await End(session, capture, ["alice", "mallory"]);

        var tracks = model.Tracks.ToList();
        Console.WriteLine($"[hostile] capture {model.DurationMs} ms, {bytes / 1024} KiB on disk; {string.Join(", ", tracks.Select(t => $"{t.ParticipantId}/{t.Kind} {t.Range}"))}; " +
                          $"discontinuities {node.Counters.TimestampDiscontinuities}");
        Assert.InRange(model.DurationMs, 3000, 15_000);
        Assert.All(tracks, t => Assert.True(t.EndMs <= model.DurationMs, $"{t.FilePath} ends at {t.EndMs} ms, after the call's {model.DurationMs} ms"));
        Assert.Equal(2, tracks.Count(t => t.ParticipantId == "mallory" && t.Kind == TrackKind.Audio)); // a segment each side of the jump
        Assert.Equal(2, tracks.Count(t => t.ParticipantId == "mallory" && t.Kind == TrackKind.Video));
        Assert.True(node.Counters.TimestampDiscontinuities >= 2, node.Counters.ToString());
        Assert.True(bytes < 1 << 20, $"{bytes} bytes on disk");

        // Whisper's input is as long as the placed track, not the jump.
        var (audio, _) = CaptureAudio.Read(capture.Directory);
        foreach (var track in audio.Where(t => t.ParticipantId == "mallory"))
        {
            var samples = await PcmDecoder.DecodeAsync("ffmpeg", track.File, track.Duration, CancellationToken.None);
            Assert.True(samples.Length <= (track.Duration + 1.5) * PcmDecoder.SampleRate, $"{samples.Length} samples for {track.Duration:F1} s");
        }

        // And the recording composes to the call's length.
        var output = Path.Combine(_root.FullName, "jump.webm");
        var result = await CallComposer.ComposeAsync(capture.Directory, output, new CompositionOptions { Width = 320, Height = 180, FrameRate = 15 });
        Assert.InRange(result.Duration.TotalMilliseconds, model.DurationMs - 500, model.DurationMs + 500);
    }

    [Theory]
    [InlineData("track_bytes")]
    [InlineData("bitrate")]
    public async Task A_flood_beyond_a_tracks_ceiling_stops_that_tracks_capture_and_the_honest_tracks_are_captured_in_full(string ceiling)
    {
        var limits = ceiling == "track_bytes"
            ? new CaptureLimits { MaxTrackBytes = 150_000 }
            : new CaptureLimits { MaxVideoBitrate = 400_000, BitrateBurst = TimeSpan.FromSeconds(1) };
        var node = Node(limits);
        var (session, capture, joined) = await RecordedCall(node, $"acme/flood-{ceiling}", "alice", "bob", "mallory");
        var mallory = joined[2].Peer;
        var before = HonestCall.HeapMiB();
        using var flooding = new CancellationTokenSource();
        var flood = Task.Run(async () =>
        {
            var big = new byte[1100];
            big[0] = 0x10; // a one-packet VP8 keyframe, again and again
            for (uint frame = 0; !flooding.IsCancellationRequested; frame++)
            {
                mallory.Send(video: true, big, frame * 90, marker: true);
                if (frame % 20 == 0) await Task.Delay(2);
            }
        });
        var sent = await Publish([joined[0].Peer, joined[1].Peer], TimeSpan.FromSeconds(2.5), _ => 0);
        await Eventually.Holds(() => TimelineEvent.Read(capture.Directory).Any(e => e.Type == "track_stopped"), TimeSpan.FromSeconds(5), "mallory's video stopped");
        await HonestCall.ConnectsWithinASecondAsync(node, $"other/honest-{ceiling}", _peers, firstHost: 40);
        flooding.Cancel();
        await flood;
        var after = HonestCall.HeapMiB();
        var (model, bytes) = await End(session, capture, ["alice", "bob", "mallory"]);

        var events = TimelineEvent.Read(capture.Directory);
        var stopped = Assert.Single(events, e => e.Type == "track_stopped");
        Assert.Equal(("mallory", "video", ceiling), (stopped.Participant, stopped.Kind, stopped.Reason));
        var malloryVideo = Assert.Single(model.Tracks, t => t.ParticipantId == "mallory" && t.Kind == TrackKind.Video);
        Console.WriteLine($"[hostile] flood ({ceiling}): mallory's video file {new FileInfo(malloryVideo.FilePath).Length / 1024} KiB, capture {bytes / 1024} KiB, " +
                          $"heap {before:F1} → {after:F1} MiB; {node.Counters}");
        if (ceiling == "track_bytes") Assert.True(malloryVideo.ReadableBytes <= 150_000 + 32 + 12 * 200, $"{malloryVideo.ReadableBytes} bytes");
        else Assert.True(malloryVideo.ReadableBytes <= 400_000 / 8 * 4, $"{malloryVideo.ReadableBytes} bytes");
        Assert.True(after - before < HonestCall.AttackHeapGrowthMiB, $"heap grew {after - before:F1} MiB");
        foreach (var honest in new[] { "alice", "bob" })
        {
            var video = Assert.Single(model.Tracks, t => t.ParticipantId == honest && t.Kind == TrackKind.Video);
            var frames = IvfFile.Inspect(video.FilePath).FrameCount;
            Assert.True(frames >= sent.Video * 0.98, $"{honest}: {frames} of {sent.Video} frames captured");
            Assert.Single(model.Tracks, t => t.ParticipantId == honest && t.Kind == TrackKind.Audio);
        }
    }

    [Fact]
    public async Task Below_the_free_disk_watermark_capture_stops_with_a_timeline_event_and_live_media_goes_on()
    {
        var node = Node(new CaptureLimits { MinFreeDiskBytes = long.MaxValue }); // more than any disk has free
        var (session, capture, joined) = await RecordedCall(node, "acme/disk", "alice", "bob");
        await Publish([joined[0].Peer, joined[1].Peer], TimeSpan.FromSeconds(1), _ => 0);
        await Eventually.Holds(() => TimelineEvent.Read(capture.Directory).Any(e => e is { Type: "capture_stopped", Reason: "disk_low" }), TimeSpan.FromSeconds(5), "capture stopped");
        Assert.True(capture.Stopped);
        await Publish([joined[0].Peer, joined[1].Peer], TimeSpan.FromSeconds(0.5), _ => 0, firstTick: 50); // the recorders see the stop and close
        await Task.Delay(1500);
        long Written() => Directory.GetFiles(capture.Directory).Where(f => !f.EndsWith(TimelineEvent.FileName)).Sum(f => new FileInfo(f).Length);
        var atStop = Written();

        foreach (var j in joined) j.Got.Clear();
        Assert.True(await PublishUntilEveryoneReceivesAsync(joined, TimeSpan.FromSeconds(3)), "the call's media goes on");
        await Publish([joined[0].Peer, joined[1].Peer], TimeSpan.FromSeconds(1), _ => 0, firstTick: 200);
        await Task.Delay(1500);
        Console.WriteLine($"[hostile] disk watermark: {atStop} bytes of media at the stop, {Written()} after; {node.Counters.CapturesStopped} stopped");
        Assert.Equal(atStop, Written());
        Assert.Equal(1, node.Counters.CapturesStopped);
        var (model, _) = await End(session, capture, ["alice", "bob"]);
        Assert.Equal(2, model.Participants.Count); // the timeline still spans the call
    }

    [Fact]
    public async Task A_tenants_calls_beyond_its_quota_on_the_node_stop_capturing_and_other_tenants_go_on()
    {
        var node = Node(new CaptureLimits { MaxTenantBytes = 60_000 });
        var (firstSession, first, a) = await RecordedCall(node, "acme/one", "alice");
        var (secondSession, second, b) = await RecordedCall(node, "acme/two", "bob");
        var (otherSession, other, c) = await RecordedCall(node, "globex/three", "carol");
        // Three calls at one rate: acme's two reach its quota together while globex has half of its own.
        await Publish([a[0].Peer, b[0].Peer, c[0].Peer], TimeSpan.FromSeconds(15), _ => 0, until: () => first.Stopped || second.Stopped);
        Assert.True(first.Stopped || second.Stopped, "one of acme's captures stopped");
        var stopped = first.Stopped ? first : second;
        await Eventually.Holds(() => TimelineEvent.Read(stopped.Directory).Any(e => e is { Type: "capture_stopped", Reason: "tenant_quota" }), TimeSpan.FromSeconds(3), "the stop on the timeline");
        Assert.True(node.CaptureQuotas.BytesOf("acme") <= 60_000, $"{node.CaptureQuotas.BytesOf("acme")} bytes");
        // Globex's quota is its own: it goes on capturing.
        var globex = other.Bytes;
        await Publish([c[0].Peer], TimeSpan.FromSeconds(1), _ => 0);
        await Eventually.Holds(() => other.Bytes > globex, TimeSpan.FromSeconds(3), "globex still captures");
        Assert.False(other.Stopped);
        await End(firstSession, first, ["alice"]);
        await End(secondSession, second, ["bob"]);
        Assert.Equal(0, node.CaptureQuotas.BytesOf("acme")); // closed captures no longer count
        await End(otherSession, other, ["carol"]);
    }

    [Fact]
    public async Task A_call_beyond_its_capture_quota_stops_capturing_with_a_timeline_event()
    {
        var node = Node(new CaptureLimits { MaxCallBytes = 20_000 });
        var (session, capture, joined) = await RecordedCall(node, "acme/quota", "alice", "bob");
        // Until the quota is reached, not for a fixed time: on a loaded machine 20 ms ticks run late, and
        // 2 s of them once carried less than the quota (~46 KB at full rate).
        var sent = await Publish([joined[0].Peer, joined[1].Peer], TimeSpan.FromSeconds(15), _ => 0, until: () => capture.Stopped);
        await Eventually.Holds(() => capture.Stopped, TimeSpan.FromSeconds(5), $"capture stopped after {sent} frames sent, {capture.Bytes} bytes");
        await Eventually.Holds(() => TimelineEvent.Read(capture.Directory).Any(e => e is { Type: "capture_stopped", Reason: "call_quota" }), TimeSpan.FromSeconds(3), "the stop on the timeline");
        Assert.True(capture.Bytes <= 20_000, $"{capture.Bytes} bytes");
        foreach (var j in joined) j.Got.Clear();
        Assert.True(await PublishUntilEveryoneReceivesAsync(joined, TimeSpan.FromSeconds(3)), "the call's media goes on");
        await End(session, capture, ["alice", "bob"]);
    }

    private MediaNode Node(CaptureLimits limits)
    {
        var node = new MediaNode(new MediaNodeOptions { Port = 0, Capture = limits });
        _nodes.Add(node);
        return node;
    }

    /// <summary>A call captured from its start, its participants joined as the call grain joins them (timeline first).</summary>
    private async Task<(SfuSession, CallCapture, Joined[])> RecordedCall(MediaNode node, string call, params string[] participants)
    {
        var session = node.Session(call);
        var capture = session.StartCapture(Path.Combine(_root.FullName, call.Replace('/', '-')));
        var joined = new List<Joined>();
        foreach (var participant in participants)
        {
            capture.Write(new TimelineEvent { Type = "join", Participant = participant, Name = participant, Role = "customer" });
            var peer = new SyntheticPeer(LoopbackHost(100 + _peers.Count));
            _peers.Add(peer);
            joined.Add(await JoinAsync(session, participant, peer, TimeSpan.FromSeconds(5)));
        }
        return (session, capture, [.. joined]);
    }

    /// <summary>Everyone leaves and the capture closes; what it reads as, and its bytes on disk.</summary>
    private static async Task<(CaptureModel Model, long Bytes)> End(SfuSession session, CallCapture capture, string[] participants)
    {
        await Task.Delay(300); // the receive buffers' last packets
        foreach (var participant in participants) capture.Write(new TimelineEvent { Type = "leave", Participant = participant });
        session.Close();
        var bytes = Directory.GetFiles(capture.Directory).Sum(f => new FileInfo(f).Length);
        return (CaptureReader.Read(capture.Directory), bytes);
    }

    /// <summary>
    /// 20 ms audio from every peer and a one-packet VP8 keyframe every other tick, the RTP clocks starting at
    /// <paramref name="firstTick"/> and shifted by <paramref name="offset"/>, for <paramref name="duration"/> or until
    /// <paramref name="until"/> holds; returns the frames each peer sent.
    /// </summary>
    private static async Task<(int Audio, int Video)> Publish(SyntheticPeer[] peers, TimeSpan duration, Func<SyntheticPeer, uint> offset, uint firstTick = 0, Func<bool>? until = null)
    {
        var keyframe = new byte[300];
        keyframe[0] = 0x10;
        var audio = new byte[80];
        audio[0] = 0x78;
        var (audioFrames, videoFrames) = (0, 0);
        var end = DateTime.UtcNow + duration;
        for (var tick = firstTick; DateTime.UtcNow < end && until?.Invoke() != true; tick++)
        {
            foreach (var peer in peers)
            {
                peer.Send(video: false, audio, unchecked(offset(peer) + tick * 960), marker: false);
                if (tick % 2 == 0) peer.Send(video: true, keyframe, unchecked(offset(peer) + tick * 1800), marker: true);
            }
            audioFrames++;
            if (tick % 2 == 0) videoFrames++;
            await Task.Delay(20);
        }
        return (audioFrames, videoFrames);
    }
}
