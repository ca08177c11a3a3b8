using Voki.Media.Recording;
using Xunit.Abstractions;

namespace Voki.Tests.Recording;

/// <summary>
/// A generated two-party capture: Alice (agent, camera and microphone) from 0 to 6 s, whose video's first packet
/// arrives 300 ms late (so only sender reports can put it in sync) and whose microphone sends nothing from 1.5 to
/// 3.6 s of her time (the Ogg file jumps over it); Bob (customer, audio only, a quiet steady tone, no sender reports)
/// from 2 to 4.5 s. Alice beeps and flashes at once every second.
/// </summary>
public sealed class TwoPartyCapture : IAsyncLifetime
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("voki-rec-test-").FullName;

    public static readonly SyntheticParty Alice = new()
    {
        Id = "alice", Name = "Alice O'Neil: [agent], 100%", Role = "agent", Join = 0, Leave = 6.0, AudioStart = 0.2, VideoStart = 0.6,
        AudioChannels = 2, VideoColor = "0x3060a0", AudioDropouts = [(1.5, 3.6)],
    };

    public static readonly SyntheticParty Bob = new()
    {
        Id = "bob", Name = "Bob", Join = 2.0, Leave = 4.5, AudioStart = 2.3, Beeps = false, ToneAmplitude = 0.05, SenderReports = false,
    };

    public string CaptureDirectory => Path.Combine(Directory, "capture");

    public Task InitializeAsync() => SyntheticCapture.WriteAsync(CaptureDirectory, [Alice, Bob], end: 6.05);

    public Task DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class CallComposerTests(TwoPartyCapture capture, ITestOutputHelper output) : IClassFixture<TwoPartyCapture>
{
    // The box the frame fits in: 16:9, as a grid of three or more tiles fills it. Alice's 4:3 camera and Bob's name
    // tile side by side make a frame sized to her camera, 480x180: two 240x180 tiles, no bars above and below.
    private const int W = 480, H = 270, Fps = 30, TwoUpH = 180;
    private static readonly CompositionOptions Small = new CompositionOptions { Width = W, Height = H, FrameRate = Fps }.WithEncoding(cpuUsed: 16, bitrateKbps: 400);

    private static bool Near((double R, double G, double B) c, int rgb, double tolerance = 30) =>
        Math.Abs(c.R - (rgb >> 16 & 0xff)) < tolerance && Math.Abs(c.G - (rgb >> 8 & 0xff)) < tolerance && Math.Abs(c.B - (rgb & 0xff)) < tolerance;

    [Fact]
    public async Task Composes_webm_with_both_tiles_and_audio_in_sync_with_video()
    {
        // Placed by arrival, Alice's video would lag her audio by 700 ms instead of 400: sender reports matter here.
        var alice = CaptureReader.Read(capture.CaptureDirectory).Participants[0].Tracks;
        Assert.All(alice, t => Assert.Equal(TrackPlacementSource.SenderReport, t.PlacedBy));
        Assert.Equal(400, alice.Single(t => t.Kind == TrackKind.Video).StartMs - alice.Single(t => t.Kind == TrackKind.Audio).StartMs);

        string file = Path.Combine(capture.Directory, "two-party.webm");
        var result = await CallComposer.ComposeAsync(capture.CaptureDirectory, file, Small);

        var info = await MediaProbe.InfoAsync(file);
        output.WriteLine($"duration {info.Duration:0.000} s, {result.FileSizeBytes} bytes, ffmpeg CPU {result.CpuTime?.TotalSeconds:0.00} s, elapsed {result.Elapsed.TotalSeconds:0.00} s");
        Assert.Contains("webm", info.FormatName);
        Assert.Equal([("video", "vp8"), ("audio", "opus")], info.Streams.Select(s => (s.Type, s.Codec)));
        Assert.Equal((W, TwoUpH), (info.Streams[0].Width, info.Streams[0].Height));
        Assert.InRange(info.Duration, 5.5, 6.5);
        Assert.Equal(6, result.DurationSeconds);
        Assert.Equal(new FileInfo(file).Length, result.FileSizeBytes);
        Assert.False(File.Exists(file + ".part"));

        var frames = await MediaProbe.FramesAsync(file, W, TwoUpH);
        Assert.InRange(frames.Count, 6 * Fps - 2, 6 * Fps + 2);
        const int aliceColor = 0x3060a0, bobColor = 0x2e7d5b;
        var aliceCore = new Rect(130, 30, 90, 120); // inside her picture alone (120,0,240,180) and side by side (0,0,240,180)

        // Alone (1.5 s, 5.0 s): Alice's 4:3 picture fills the height, pillarboxed in the frame of two tiles.
        foreach (var t in new[] { 1.5, 5.0 })
        {
            var f = frames[(int)(t * Fps)];
            Assert.True(Near(MediaProbe.Mean(f, W, aliceCore), aliceColor), $"{t} s: Alice {MediaProbe.Mean(f, W, aliceCore)}");
            Assert.True(MediaProbe.Luma(MediaProbe.Mean(f, W, new Rect(0, 0, 110, TwoUpH))) < 25, $"{t} s: left pillar");
            Assert.True(MediaProbe.Luma(MediaProbe.Mean(f, W, new Rect(370, 0, 110, TwoUpH))) < 25, $"{t} s: right pillar");
            Assert.True(Near(MediaProbe.Mean(f, W, new Rect(250, 20, 100, 100)), aliceColor), $"{t} s: right half shows Alice");
        }
        // Together (3.5 s): Alice fills the left tile, top to bottom (the frame has the camera's height: no bars), Bob's name tile right.
        var both = frames[(int)(3.5 * Fps)];
        Assert.True(Near(MediaProbe.Mean(both, W, aliceCore), aliceColor), $"together: Alice {MediaProbe.Mean(both, W, aliceCore)}");
        foreach (var edge in new[] { new Rect(20, 2, 200, 16), new Rect(210, TwoUpH - 18, 26, 16) })
            Assert.True(Near(MediaProbe.Mean(both, W, edge), aliceColor), $"together: Alice reaches the frame's edge at {edge}: {MediaProbe.Mean(both, W, edge)}");
        Assert.True(Near(MediaProbe.Mean(both, W, new Rect(260, 10, 200, 40)), bobColor), $"together: Bob's tile {MediaProbe.Mean(both, W, new Rect(260, 10, 200, 40))}");
        Assert.True(MediaProbe.MaxLuma(both, W, new Rect(250, 65, 220, 50)) > 180, "together: Bob's name is written");
        Assert.True(Near(MediaProbe.Mean(frames[(int)(1.5 * Fps)], W, new Rect(260, 20, 90, 50)), aliceColor), "before Bob joins there is no tile of his");

        // Flashes (Alice's picture turns white) and beeps (audio onsets), both at 1.24, 2.24, ... 5.24 s (the first beep, at 0.24 s, is before her video).
        var flashes = frames.Select((f, i) => (T: i / (double)Fps, L: MediaProbe.Luma(MediaProbe.Mean(f, W, aliceCore)))).Where(x => x.L > 200).Select(x => x.T).ToList();
        var audio = await MediaProbe.AudioAsync(file);
        var beeps = MediaProbe.Onsets(audio, 0.15);
        output.WriteLine($"flashes: {string.Join(", ", flashes.Select(f => f.ToString("0.000")))}");
        output.WriteLine($"beeps:   {string.Join(", ", beeps.Select(b => b.ToString("0.000")))}");
        Assert.Equal([1.2, 2.2, 3.2, 4.2, 5.2], flashes.Select(f => Math.Round(f, 1)));
        // Her beeps at 2.24 and 3.24 s were never sent; the ones after the gap stay on her timeline.
        var offsets = flashes.Where(f => f < 2 || f > 4).Select(f => beeps.MinBy(b => Math.Abs(b - f)) - f).ToList();
        Assert.Equal(3, offsets.Count);
        output.WriteLine($"audio − video per flash (ms): {string.Join(", ", offsets.Select(o => (o * 1000).ToString("0")))}");
        Assert.All(offsets, o => Assert.InRange(o, -0.080, 0.080));
        // On Alice's timeline: her first sample was taken at 0.2 s and SRs place it at its least-delayed arrival, 40 ms later.
        Assert.Equal([0.24, 1.24, 4.24, 5.24], beeps.Select(b => Math.Round(b, 2)));

        // Bob's tone while he is there, and not after.
        double during = MediaProbe.Rms(audio, 3.4, 4.1), after = MediaProbe.Rms(audio, 5.4, 5.9);
        output.WriteLine($"Bob's tone: RMS {during:0.0000} while present, {after:0.0000} after he left");
        Assert.InRange(during, 0.02, 0.06);
        Assert.True(after < 0.005);
    }

    [Fact]
    public async Task A_four_party_call_keeps_the_16_by_9_grid_and_a_two_party_one_is_sized_to_its_cameras()
    {
        // Four at once (three cameras, one audio only): the 480x270 box is the frame, a 2x2 grid of 240x134/136 tiles.
        string dir = Path.Combine(capture.Directory, "four");
        SyntheticParty Camera(string id, int at, string color) => new()
        {
            Id = id, Name = id, Join = at * 0.1, Leave = 3.0, AudioStart = at * 0.1 + 0.1, VideoStart = at * 0.1 + 0.1, Flashes = false, Beeps = false, VideoColor = color,
        };
        await SyntheticCapture.WriteAsync(dir,
        [
            Camera("ann", 0, "0x3060a0"), Camera("ben", 1, "0xa03030"), Camera("cai", 2, "0x30a040"),
            new SyntheticParty { Id = "dee", Name = "Dee", Join = 0.3, Leave = 3.0, AudioStart = 0.4, Beeps = false },
        ], end: 3.0);
        string file = Path.Combine(capture.Directory, "four.webm");
        await CallComposer.ComposeAsync(dir, file, Small);
        var info = await MediaProbe.InfoAsync(file);
        Assert.Equal((W, H), (info.Streams[0].Width, info.Streams[0].Height));
        var f = (await MediaProbe.FramesAsync(file, W, H))[(int)(2.0 * Fps)];
        // Each 4:3 camera pillarboxed in its tile (180x134 at the tile's centre), the name tile in its join colour.
        foreach (var (area, color) in new[]
        {
            (new Rect(50, 20, 140, 90), 0x3060a0), (new Rect(290, 20, 140, 90), 0xa03030), (new Rect(50, 155, 140, 90), 0x30a040),
            (new Rect(250, 140, 40, 30), 0x6a3d8c),
        })
            Assert.True(Near(MediaProbe.Mean(f, W, area), color), $"{area}: {MediaProbe.Mean(f, W, area)}");
        Assert.True(MediaProbe.Luma(MediaProbe.Mean(f, W, new Rect(0, 10, 26, 110))) < 25, "the pillar left of Ann");

        // The same three cameras two at a time would be sized to them: the first two alone make 480x180.
        string pair = Path.Combine(capture.Directory, "pair");
        await SyntheticCapture.WriteAsync(pair, [Camera("ann", 0, "0x3060a0"), Camera("ben", 1, "0xa03030")], end: 3.0);
        await CallComposer.ComposeAsync(pair, Path.Combine(capture.Directory, "pair.webm"), Small);
        var two = await MediaProbe.InfoAsync(Path.Combine(capture.Directory, "pair.webm"));
        Assert.Equal((W, TwoUpH), (two.Streams[0].Width, two.Streams[0].Height));
        var g = (await MediaProbe.FramesAsync(Path.Combine(capture.Directory, "pair.webm"), W, TwoUpH))[(int)(2.0 * Fps)];
        Assert.True(Near(MediaProbe.Mean(g, W, new Rect(10, 4, 220, 172)), 0x3060a0), $"Ann fills the left tile: {MediaProbe.Mean(g, W, new Rect(10, 4, 220, 172))}");
        Assert.True(Near(MediaProbe.Mean(g, W, new Rect(250, 4, 220, 172)), 0xa03030), $"Ben fills the right tile: {MediaProbe.Mean(g, W, new Rect(250, 4, 220, 172))}");
    }

    [Fact]
    public async Task A_sender_whose_audio_and_video_clocks_drift_apart_stays_in_sync_to_the_end()
    {
        // 0.5 % apart over 20 s is 100 ms by the end (a 0.1 % drift does that in 100 s, and 1.2 s in 20 minutes):
        // the sender reports tell each clock's true rate, and both tracks are composed on the sender's wall clock.
        string dir = Path.Combine(capture.Directory, "drift");
        await SyntheticCapture.WriteAsync(Path.Combine(dir, "capture"),
        [
            new SyntheticParty { Id = "d", Name = "Dora", Join = 0, Leave = 20.0, AudioStart = 0.2, VideoStart = 0.3, AudioClockDrift = 0.005, VideoClockDrift = 0.0 },
        ], end: 20.05);
        var tracks = CaptureReader.Read(Path.Combine(dir, "capture")).Participants[0].Tracks;
        output.WriteLine(string.Join("; ", tracks.Select(t => $"{t.Kind} starts {t.StartMs} ms, clock scale {t.ClockScale:0.00000}")));
        Assert.InRange(tracks.Single(t => t.Kind == TrackKind.Audio).ClockScale, 1 / 1.005 - 0.0005, 1 / 1.005 + 0.0005);
        Assert.InRange(tracks.Single(t => t.Kind == TrackKind.Video).ClockScale, 0.9995, 1.0005);

        string file = Path.Combine(dir, "drift.webm");
        await CallComposer.ComposeAsync(Path.Combine(dir, "capture"), file, Small);
        var frames = await MediaProbe.FramesAsync(file, 360, 270); // her 4:3 camera alone: the frame has its aspect
        var picture = new Rect(80, 80, 120, 100);
        var flashes = frames.Select((f, i) => (T: i / (double)Fps, L: MediaProbe.Luma(MediaProbe.Mean(f, 360, picture)))).Where(x => x.L > 200).Select(x => x.T).ToList();
        var beeps = MediaProbe.Onsets(await MediaProbe.AudioAsync(file), 0.15);
        var offsets = flashes.Where(f => f > 14).Select(f => beeps.MinBy(b => Math.Abs(b - f)) - f).ToList();
        output.WriteLine($"audio − video at the last flashes (ms): {string.Join(", ", offsets.Select(o => (o * 1000).ToString("0")))}");
        Assert.True(offsets.Count >= 4, $"flashes after 14 s: {offsets.Count}");
        Assert.All(offsets, o => Assert.InRange(o, -0.040, 0.040));
    }

    [Theory]
    [InlineData(0), InlineData(8), InlineData(12), InlineData(16), InlineData(20), InlineData(28)]
    public async Task Pictures_whose_capture_times_jitter_each_get_a_frame_of_their_own_whatever_the_calls_phase(int phaseMs)
    {
        // Every odd picture white, each stamped up to 6 ms early or late, the track placed phaseMs after the output's frames:
        // from about 12 to 20 ms, half a frame away, the jitter put two pictures on one output frame and none on the next.
        var party = new SyntheticParty
        {
            Id = "carla", Name = "Carla", Join = 0, Leave = 4.0, VideoStart = 0, VideoColor = "0x202020",
            Flashes = false, AlternatingFrames = true, FrameJitter = 0.006, NetworkDelay = 0, VideoArrivalLate = phaseMs / 1000.0, SenderReports = false,
        };
        string directory = Path.Combine(capture.Directory, $"jitter-{phaseMs}");
        await SyntheticCapture.WriteAsync(directory, [party], end: 4.0);
        string file = Path.Combine(capture.Directory, $"jitter-{phaseMs}.webm");
        await CallComposer.ComposeAsync(directory, file, Small.WithEncoding(cpuUsed: 16, bitrateKbps: 1500));

        var frames = await MediaProbe.FramesAsync(file, 360, 270); // one 4:3 camera: a 4:3 frame
        var core = new Rect(120, 100, 120, 70);
        var white = frames.Skip(Fps / 2).Take(3 * Fps).Select(f => MediaProbe.Luma(MediaProbe.Mean(f, 360, core)) > 128).ToList();
        output.WriteLine($"phase {phaseMs} ms: {string.Join("", white.Select(w => w ? 'W' : '.'))}");
        int repeated = white.Skip(1).Where((w, i) => w == white[i]).Count();
        Assert.True(repeated == 0, $"{repeated} of {white.Count} output frames showed the picture before again (a picture lost beside each)");
    }

    [Fact]
    public async Task A_capture_cut_by_a_crash_is_composed_up_to_what_was_written()
    {
        string dir = Path.Combine(capture.Directory, "crashed");
        await SyntheticCapture.WriteAsync(dir,
        [
            new SyntheticParty { Id = "a", Name = "Ann", Join = 0, AudioStart = 0.1, VideoStart = 0.3, MediaEnd = 3.0, VideoWidth = 160, VideoHeight = 120 },
            new SyntheticParty { Id = "b", Name = "Ben", Join = 0.5, Leave = 1.5, AudioStart = 0.6, Beeps = false },
        ], end: null);
        SyntheticCapture.Tear(Path.Combine(dir, "a-video.ivf"), 10);
        SyntheticCapture.Tear(Path.Combine(dir, "a-audio.ogg"), 25);

        var model = CaptureReader.Read(dir);
        Assert.False(model.EndedNormally);
        Assert.All(model.Participants[0].Tracks, t => Assert.True(t.Torn));
        var video = model.Participants[0].Tracks.Single(t => t.Kind == TrackKind.Video);
        Assert.InRange(video.EndMs, 3000, 3015); // placed at 0.3 s + 40 ms network delay, then 80 of its 81 frames at 30 fps
        var audio = model.Participants[0].Tracks.Single(t => t.Kind == TrackKind.Audio);
        Assert.InRange(audio.EndMs, 2940, 3039); // placed at 0.14 s, 2.9 s written less its torn last page (≤ 100 ms)
        Assert.Equal(Math.Max(video.EndMs, audio.EndMs), model.DurationMs);

        string file = Path.Combine(capture.Directory, "crashed.webm");
        var result = await CallComposer.ComposeAsync(dir, file, Small with { Width = 320, Height = 180 });
        var info = await MediaProbe.InfoAsync(file);
        output.WriteLine($"crashed capture: model {model.DurationMs} ms, file {info.Duration:0.000} s; warnings: {string.Join("; ", result.Warnings)}");
        Assert.InRange(info.Duration, model.DurationMs / 1000.0 - 0.5, model.DurationMs / 1000.0 + 0.5);
        Assert.Equal(3, result.DurationSeconds);
        Assert.Equal(2, result.Warnings.Count(w => w.Contains("torn")));
        Assert.Equal((320, 120), (info.Streams[0].Width, info.Streams[0].Height)); // two tiles at Ann's 4:3
        var frames = await MediaProbe.FramesAsync(file, 320, 120);
        Assert.True(Near(MediaProbe.Mean(frames[^2], 320, new Rect(120, 30, 80, 60)), 0x3060a0), "Ann's last frames are there");
    }

    [Fact]
    public async Task A_video_that_changes_size_midway_keeps_filling_its_picture()
    {
        // 4:3 at 320x240, then 160x120 from 1 s (congestion), then 240x320 from 2 s (the phone turned): composed at
        // the size of its first key frame, so the picture keeps its place (a turned picture is squeezed into it) and
        // the frame, sized to that camera alone, is 4:3 (240x180 in the 320x180 box), without pillars.
        string dir = Path.Combine(capture.Directory, "resized");
        await SyntheticCapture.WriteAsync(dir,
        [
            new SyntheticParty { Id = "a", Name = "Ann", Join = 0, Leave = 3.0, VideoStart = 0.1, Flashes = false, VideoColor = "0x3060a0",
                VideoSizeChanges = [(1.0, 160, 120), (2.0, 240, 320)] },
        ], end: 3.0);
        string file = Path.Combine(capture.Directory, "resized.webm");
        var result = await CallComposer.ComposeAsync(dir, file, Small with { Width = 320, Height = 180 });
        Assert.Equal(3, result.DurationSeconds);
        var info = await MediaProbe.InfoAsync(file);
        Assert.Equal((240, 180), (info.Streams[0].Width, info.Streams[0].Height));
        var frames = await MediaProbe.FramesAsync(file, 240, 180);
        foreach (var t in new[] { 0.5, 1.5, 2.5 })
        {
            var f = frames[(int)(t * Fps)];
            foreach (var area in new[] { new Rect(30, 10, 180, 160), new Rect(2, 10, 16, 160), new Rect(222, 10, 16, 160) })
                Assert.True(Near(MediaProbe.Mean(f, 240, area), 0x3060a0), $"{t} s: {area} {MediaProbe.Mean(f, 240, area)}: the picture fills the frame");
        }
    }

    [Fact]
    public async Task Cancelling_stops_ffmpeg_and_leaves_nothing()
    {
        string file = Path.Combine(capture.Directory, "cancelled.webm");
        using var cts = new CancellationTokenSource();
        var options = new CompositionOptions { Progress = new SynchronousProgress(_ => cts.Cancel()) };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CallComposer.ComposeAsync(capture.CaptureDirectory, file, options, cts.Token));
        Assert.False(File.Exists(file));
        Assert.False(File.Exists(file + ".part"));
    }

    [Fact]
    public async Task Running_past_the_timeout_fails_with_a_reason()
    {
        string file = Path.Combine(capture.Directory, "timeout.webm");
        var e = await Assert.ThrowsAsync<CompositionException>(() =>
            CallComposer.ComposeAsync(capture.CaptureDirectory, file, new CompositionOptions { Timeout = TimeSpan.FromMilliseconds(300) }));
        Assert.True(e.TimedOut);
        Assert.Contains("ran past", e.Message);
        Assert.False(File.Exists(file + ".part"));
    }

    [Fact]
    public async Task An_ffmpeg_failure_gives_its_error()
    {
        // FFmpeg writes to the output's ".part" aside: a directory there is a path it cannot open.
        string file = Path.Combine(capture.Directory, "unwritable.webm");
        Directory.CreateDirectory(file + ".part");
        var e = await Assert.ThrowsAsync<CompositionException>(() => CallComposer.ComposeAsync(capture.CaptureDirectory, file, Small with { Width = 128, Height = 72 }));
        output.WriteLine(e.Message);
        Assert.NotEqual(0, e.ExitCode);
        Assert.Contains("Is a directory", e.Message);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task A_missing_capture_or_ffmpeg_fails_with_a_reason()
    {
        var missing = await Assert.ThrowsAsync<CompositionException>(() => CallComposer.ComposeAsync(Path.Combine(capture.Directory, "nope"), Path.Combine(capture.Directory, "x.webm")));
        Assert.Contains("cannot read the capture", missing.Message);
        var noFfmpeg = await Assert.ThrowsAsync<CompositionException>(() =>
            CallComposer.ComposeAsync(capture.CaptureDirectory, Path.Combine(capture.Directory, "y.webm"), Small with { FfmpegPath = "/nonexistent/ffmpeg" }));
        Assert.Contains("cannot run /nonexistent/ffmpeg", noFfmpeg.Message);
    }

    [Fact]
    public async Task Odd_characters_in_paths_and_names_reach_ffmpeg_intact()
    {
        string odd = Path.Combine(capture.Directory, "it's: [odd], dir;");
        System.IO.Directory.CreateDirectory(odd);
        string file = Path.Combine(odd, "out.webm");
        var result = await CallComposer.ComposeAsync(capture.CaptureDirectory, file, Small with { Width = 128, Height = 72, TemporaryDirectory = odd });
        Assert.Equal(6, result.DurationSeconds);
        Assert.Equal(["out.webm"], System.IO.Directory.EnumerateFileSystemEntries(odd).Select(Path.GetFileName));
    }

    private sealed class SynchronousProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
