using Voki.Media.Recording;

namespace Voki.Tests.Recording;

public sealed class CompositionPlanTests
{
    private static CapturedTrack Video(string owner, long start, long end, uint ssrc = 1) => new()
    {
        ParticipantId = owner, Kind = TrackKind.Video, FilePath = $"/c/{owner}-{ssrc}.ivf", Ssrc = ssrc, StartMs = start, EndMs = end,
        PlacedBy = TrackPlacementSource.SenderReport, ReadableBytes = 100, Width = 640, Height = 480,
    };

    private static CapturedTrack Audio(string owner, long start, long end) => new()
    {
        ParticipantId = owner, Kind = TrackKind.Audio, FilePath = $"/c/{owner}.ogg", Ssrc = 9, StartMs = start, EndMs = end,
        PlacedBy = TrackPlacementSource.FirstPacketArrival, ReadableBytes = 100,
    };

    private static CapturedParticipant P(string id, int order, TimeRange presence, IReadOnlyList<CapturedTrack> tracks, params TimeRange[] muted) => new()
    {
        Id = id, Name = id.ToUpperInvariant(), JoinOrder = order, Presence = [presence], Tracks = tracks, VideoMuted = muted,
    };

    private static CaptureModel Model(long duration, params CapturedParticipant[] participants) => new()
    {
        OriginUnixMs = 0, DurationMs = duration, EndedNormally = true, Participants = participants,
    };

    private static void AssertContiguous(CompositionPlan plan)
    {
        Assert.Equal(0, plan.Scenes[0].StartFrame);
        Assert.Equal(plan.FrameCount, plan.Scenes[^1].EndFrame);
        for (int i = 1; i < plan.Scenes.Count; i++) Assert.Equal(plan.Scenes[i - 1].EndFrame, plan.Scenes[i].StartFrame);
    }

    [Fact]
    public void A_tile_shows_the_name_until_the_video_starts_and_while_the_camera_is_muted()
    {
        var plan = CompositionPlan.Build(Model(6000,
            P("a", 0, new(0, 6000), [Video("a", 510, 5000), Audio("a", 200, 6000)], new TimeRange(2000, 3000))), 1280, 720, 30);
        AssertContiguous(plan);
        Assert.Equal(180, plan.FrameCount);
        Assert.Equal([(0L, 15L, false), (15L, 60L, true), (60L, 90L, false), (90L, 150L, true), (150L, 180L, false)],
            plan.Scenes.Select(s => (s.StartFrame, s.EndFrame, s.Tiles.Single().Video is not null)));
        Assert.Equal(new Rect(160, 0, 960, 720), plan.Scenes[1].Tiles[0].Picture); // 4:3 pillarboxed
        Assert.Equal(new Rect(0, 0, 1280, 720), plan.Scenes[0].Tiles[0].Picture);
        Assert.Single(plan.VideoTracks);
        Assert.Single(plan.AudioTracks);
    }

    [Fact]
    public void A_simulcast_participant_shows_the_full_layer_and_the_half_one_where_the_full_one_pauses()
    {
        var full = Video("a", 0, 9000, ssrc: 2) with { Gaps = [new TimeRange(3000, 6000)] };
        var half = Video("a", 40, 9000, ssrc: 1) with { Width = 320, Height = 240 };
        var plan = CompositionPlan.Build(Model(9000, P("a", 0, new(0, 9000), [half, full])), 1280, 720, 30);
        AssertContiguous(plan);
        Assert.Equal([(0L, 90L, 2u), (90L, 180L, 1u), (180L, 270L, 2u)], plan.Scenes.Select(s => (s.StartFrame, s.EndFrame, s.Tiles.Single().Video!.Ssrc)));
        Assert.Equal(new Rect(160, 0, 960, 720), plan.Scenes[1].Tiles[0].Picture); // the half layer scaled to the same picture
        // Where every track pauses, the one there keeps its last picture, as a single track does.
        var alone = CompositionPlan.Build(Model(9000, P("a", 0, new(0, 9000), [full])), 1280, 720, 30);
        Assert.All(alone.Scenes, s => Assert.Equal(2u, s.Tiles.Single().Video!.Ssrc));
    }

    [Fact]
    public void Scenes_follow_joins_and_leaves_on_the_frame_grid()
    {
        var plan = CompositionPlan.Build(Model(5000,
            P("a", 0, new(0, 5000), [Video("a", 0, 5000)]),
            P("b", 1, new(1010, 3990), [Audio("b", 1100, 3990)])), 640, 360, 25);
        AssertContiguous(plan);
        Assert.Equal([(0L, 25L, 1), (25L, 100L, 2), (100L, 125L, 1)], plan.Scenes.Select(s => (s.StartFrame, s.EndFrame, s.Tiles.Count)));
        var together = plan.Scenes[1].Tiles;
        Assert.Equal(["a", "b"], together.Select(t => t.ParticipantId));
        Assert.NotNull(together[0].Video);
        Assert.Null(together[1].Video);
        Assert.Equal(1, together[1].ColorIndex);
    }

    [Fact]
    public void The_latest_of_overlapping_video_tracks_is_shown()
    {
        var first = Video("a", 0, 4000, 1);
        var second = Video("a", 1000, 2000, 2);
        var plan = CompositionPlan.Build(Model(4000, P("a", 0, new(0, 4000), [first, second])), 320, 180, 10);
        Assert.Equal([first, second, first], plan.Scenes.Select(s => s.Tiles[0].Video));
        Assert.Equal([first, second], plan.VideoTracks);
    }

    [Fact]
    public void Audio_outside_the_recording_and_video_of_people_not_shown_are_left_out()
    {
        var people = Enumerable.Range(0, 10).Select(i => P($"p{i}", i, new(0, 3000), [Video($"p{i}", 0, 3000)])).Append(
            P("late", 10, new(0, 3000), [Audio("late", 3500, 4000), Audio("late", 2000, 3500)])).ToArray();
        var plan = CompositionPlan.Build(Model(3000, people), 1280, 720, 30);
        Assert.Equal(9, plan.VideoTracks.Count);
        Assert.DoesNotContain(plan.VideoTracks, t => t.ParticipantId == "p9");
        Assert.Equal([2000L], plan.AudioTracks.Select(t => t.StartMs));
    }

    [Fact]
    public void The_command_reads_torn_files_up_to_their_last_complete_frame_and_escapes_paths()
    {
        var torn = Video("a", 0, 2000) with { Torn = true, ReadableBytes = 4242 };
        var plan = CompositionPlan.Build(Model(2000, P("a", 0, new(0, 2000), [torn]), P("b", 1, new(500, 2000), [Audio("b", 600, 2000)])), 320, 180, 30);
        var command = FfmpegCommand.Build(plan, new CompositionOptions(), "/fonts/My Font:1,2.ttf", "/tmp/w", "/tmp/w/graph.txt", "/out/x.webm.part");
        Assert.Contains("subfile,,start,0,end,4242,,:/c/a-1.ivf", command.Arguments);
        Assert.Contains("/c/b.ogg", command.Arguments);
        Assert.Contains(@"fontfile=/fonts/My Font\\:1\,2.ttf", command.FilterGraph);
        // One overlay for the one video track, on the whole timeline; b's name tile from its join (frame 15).
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(command.FilterGraph, "overlay="));
        Assert.Contains("overlay=x='40-40*gte(t,0.483333)':y='0+30*gte(t,0.483333)':eof_action=pass:enable='between(t,0,1.983333)'", command.FilterGraph);
        Assert.Contains("sendcmd=c='0.483333 scale@v0 w 160, scale@v0 h 120;',scale@v0=w=240:h=180", command.FilterGraph);
        Assert.Contains("enable='between(t,0.483333,1.983333)'", command.FilterGraph);
        Assert.Contains("adelay=delays=28800S:all=1", command.FilterGraph);
        Assert.Equal("B", command.TextFiles["/tmp/w/name-1.txt"]);
        // A frame given outright is the grid's: the grid's VP8 settings.
        Assert.Equal(["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "16", "-b:v", "1500k"], command.Arguments.SkipWhile(a => a != "-c:v").Take(8));
        Assert.Equal(@"a\\\'b\\:c\[d\]\;e", FfmpegCommand.EscapeValue("a'b:c[d];e")); // FFmpeg's "Notes on filtergraph escaping"
    }

    private static CapturedParticipant Camera(string id, int order, int width, int height, long duration = 3000) =>
        P(id, order, new(0, duration), [Video(id, 0, duration, (uint)order + 1) with { Width = width, Height = height }]);

    [Fact]
    public void Up_to_two_tiles_get_a_frame_sized_to_their_cameras_and_more_keep_the_16_by_9_grid()
    {
        var options = new CompositionOptions();
        // Two 4:3 cameras side by side: no bars above and below them, each picture fills its tile.
        var two = CompositionPlan.Build(Model(3000, Camera("a", 0, 640, 480), Camera("b", 1, 640, 480)), options);
        Assert.Equal((1280, 480), (two.Width, two.Height));
        Assert.True(two.SizedToCameras);
        Assert.Equal([new Rect(0, 0, 640, 480), new Rect(640, 0, 640, 480)], two.Scenes.Single().Tiles.Select(t => t.Area));
        Assert.Equal([new Rect(0, 0, 640, 480), new Rect(640, 0, 640, 480)], two.Scenes.Single().Tiles.Select(t => t.Picture));
        // The tallest camera sets the height; a wider one is letterboxed in its tile.
        var mixed = CompositionPlan.Build(Model(3000, Camera("a", 0, 640, 480), Camera("b", 1, 640, 360)), options);
        Assert.Equal((1280, 480), (mixed.Width, mixed.Height));
        Assert.Equal(new Rect(640, 60, 640, 360), mixed.Scenes.Single().Tiles[1].Picture);
        Assert.Equal((1280, 360), (CompositionPlan.Build(Model(3000, Camera("a", 0, 1280, 720), Camera("b", 1, 1280, 720)), options) is var wide ? (wide.Width, wide.Height) : default));
        // Portrait phones: as tall as the box allows, narrower than it.
        var portrait = CompositionPlan.Build(Model(3000, Camera("a", 0, 480, 640), Camera("b", 1, 480, 640)), options);
        Assert.Equal((1080, 720), (portrait.Width, portrait.Height));
        Assert.Equal(new Rect(540, 0, 540, 720), portrait.Scenes.Single().Tiles[1].Picture);
        // One camera alone: its own aspect, as large as fits 1280x720.
        var alone = CompositionPlan.Build(Model(3000, Camera("a", 0, 640, 480)), options);
        Assert.Equal((960, 720), (alone.Width, alone.Height));
        Assert.Equal(new Rect(0, 0, 960, 720), alone.Scenes.Single().Tiles.Single().Picture);
        // A camera and a participant without one: the name tile is the camera's size.
        var named = CompositionPlan.Build(Model(3000, Camera("a", 0, 640, 480), P("b", 1, new(0, 3000), [Audio("b", 0, 3000)])), options);
        Assert.Equal((1280, 480), (named.Width, named.Height));
        Assert.Equal(new Rect(640, 0, 640, 480), named.Scenes.Single().Tiles[1].Area);

        // Three tiles at any moment (here a third person for one second): the 16:9 grid for the whole recording.
        var three = CompositionPlan.Build(Model(3000, Camera("a", 0, 640, 480), Camera("b", 1, 640, 480),
            P("c", 2, new(1000, 2000), [Audio("c", 1000, 2000)])), options);
        Assert.Equal((1280, 720), (three.Width, three.Height));
        Assert.False(three.SizedToCameras);
        Assert.Equal(new Rect(0, 0, 640, 720), three.Scenes[0].Tiles[0].Area);
        var four = CompositionPlan.Build(Model(3000, Camera("a", 0, 640, 480), Camera("b", 1, 640, 480), Camera("c", 2, 640, 480),
            P("d", 3, new(0, 3000), [Audio("d", 0, 3000)])), options);
        Assert.Equal((1280, 720), (four.Width, four.Height));
        Assert.Equal([new Rect(0, 0, 640, 360), new Rect(640, 0, 640, 360), new Rect(0, 360, 640, 360), new Rect(640, 360, 640, 360)],
            four.Scenes.Single().Tiles.Select(t => t.Area));
        // Audio only: nothing to size the frame to. Turned off: the grid's frame.
        Assert.Equal((1280, 720), (CompositionPlan.Build(Model(3000, P("a", 0, new(0, 3000), [Audio("a", 0, 3000)])), options) is var audio ? (audio.Width, audio.Height) : default));
        var off = CompositionPlan.Build(Model(3000, Camera("a", 0, 640, 480), Camera("b", 1, 640, 480)), options with { FrameToCameras = false });
        Assert.Equal((1280, 720, false), (off.Width, off.Height, off.SizedToCameras));
    }

    [Fact]
    public void Each_layout_is_encoded_with_its_own_vp8_settings()
    {
        var options = new CompositionOptions
        {
            CameraFrameEncoding = new() { CpuUsed = 15, BitrateKbps = 1400 },
            GridEncoding = new() { CpuUsed = 12, BitrateKbps = 2100, StaticThreshold = 800 },
        };
        string[] Encoder(CompositionPlan plan) =>
            FfmpegCommand.Build(plan, options, "/f.ttf", "/tmp/w", "/tmp/w/g.txt", "/o.webm").Arguments.SkipWhile(a => a != "-cpu-used").Take(6).ToArray();
        Assert.Equal(["-cpu-used", "15", "-b:v", "1400k", "-static-thresh", "0"], Encoder(CompositionPlan.Build(Model(3000, Camera("a", 0, 640, 480), Camera("b", 1, 640, 480)), options)));
        Assert.Equal(["-cpu-used", "12", "-b:v", "2100k", "-static-thresh", "800"], Encoder(CompositionPlan.Build(Model(3000, Camera("a", 0, 640, 480), Camera("b", 1, 640, 480), Camera("c", 2, 640, 480)), options)));
        Assert.Throws<ArgumentException>(() => (options with { GridEncoding = new() { CpuUsed = 17, BitrateKbps = 1000 } }).Validate());
        Assert.Throws<ArgumentException>(() => (options with { CameraFrameEncoding = new() { CpuUsed = 16, BitrateKbps = 10 } }).Validate());
        Assert.Throws<ArgumentException>(() => (options with { CameraFrameEncoding = new() { CpuUsed = 16, BitrateKbps = 1500, StaticThreshold = -1 } }).Validate());
    }

    [Fact]
    public void Time_expressions_are_flat_sums_cut_at_half_frames()
    {
        Assert.Equal("10+5*gte(t,1.983333)-12*gte(t,3.983333)", FfmpegCommand.Piecewise([(0, 10), (30, 10), (60, 15), (120, 3)], 30, out bool varies));
        Assert.True(varies);
        Assert.Equal("7", FfmpegCommand.Piecewise([(0, 7), (50, 7)], 30, out varies));
        Assert.False(varies);
        Assert.Equal("between(t,0,2.983333)", FfmpegCommand.Windows([(60, 90), (0, 30), (30, 60)], 30));
        Assert.Equal("between(t,0.983333,1.983333)+between(t,2.983333,3.983333)", FfmpegCommand.Windows([(90, 120), (30, 60)], 30));
        // Hundreds of layout changes still make an expression FFmpeg parses (no nesting).
        var many = FfmpegCommand.Piecewise(Enumerable.Range(0, 400).Select(i => ((long)i * 10, i % 2 == 0 ? 100 : 200)).ToList(), 30, out _);
        Assert.DoesNotContain("if(", many);
    }

    [Fact]
    public void Without_audio_the_command_writes_silence()
    {
        var plan = CompositionPlan.Build(Model(1000, P("a", 0, new(0, 1000), [])), 320, 180, 30);
        var command = FfmpegCommand.Build(plan, new CompositionOptions(), "/f.ttf", "/tmp/w", "/tmp/w/g.txt", "/o.webm");
        Assert.Contains("anullsrc=r=48000:cl=mono", command.FilterGraph);
        Assert.DoesNotContain("-i", command.Arguments);
    }
}
