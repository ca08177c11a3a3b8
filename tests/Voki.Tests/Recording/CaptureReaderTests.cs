using Voki.Media.Recording;

namespace Voki.Tests.Recording;

public sealed class CaptureReaderTests
{
    private const long T0 = 1_780_000_000_000; // capture clock, Unix ms
    private const long SenderClock = -10_800_000 + 1234; // the sender's wall clock runs ~3 h behind the node's

    private static TimelineEvent Join(long at, string id, string name, string role = "customer") => new() { Type = "join", At = at, Participant = id, Name = name, Role = role };
    private static TimelineEvent Leave(long at, string id) => new() { Type = "leave", At = at, Participant = id };
    private static TimelineEvent Track(long at, string id, string kind, uint ssrc, uint firstRtp, string? file = null) => new()
    {
        Type = "track", At = at, Participant = id, Kind = kind, Ssrc = ssrc, FirstRtp = firstRtp,
        ClockRate = kind == "video" ? 90000 : 48000, File = file ?? $"{id}-{kind}.{(kind == "video" ? "ivf" : "ogg")}",
    };
    private static TimelineEvent Sr(long at, uint ssrc, uint rtp, long ntpMs) => new() { Type = "sr", At = at, Ssrc = ssrc, Rtp = rtp, NtpMs = ntpMs };
    private static TimelineEvent End(long at) => new() { Type = "end", At = at };

    /// <summary>Every file holds <paramref name="seconds"/> of media unless listed otherwise.</summary>
    private static Func<TrackKind, string, TrackMedia> Files(double seconds, Dictionary<string, double>? lengths = null) => (kind, path) =>
    {
        var name = Path.GetFileName(path);
        if (name.StartsWith("missing")) throw new FileNotFoundException($"Could not find file '{path}'");
        double end = lengths != null && lengths.TryGetValue(name, out var l) ? l : seconds;
        return new TrackMedia { EndSeconds = end, ReadableBytes = 1000, Width = 640, Height = 360 };
    };

    private static CaptureModel Build(params TimelineEvent[] events) => CaptureReader.Build(events, "/capture", Files(10));

    [Fact]
    public void Sender_reports_place_audio_and_video_on_the_senders_clock()
    {
        // Source time s (sender's wall clock in ms = S0 + s). Audio's first RTP was sampled at s = 0, video's at s = 400.
        // Network delay 40 ms; the first video packet arrives 300 ms late (encoder, pacing), which SRs must not be fooled by.
        const long S0 = T0 + SenderClock + 100;
        uint audioRtp = 1_000_000, videoRtp = 4_294_900_000; // video wraps past 2^32 before its SR
        var capture = Build(
            Join(T0, "a", "Alice", "agent"),
            Track(S0 - SenderClock + 40, "a", "audio", 11, audioRtp),
            Track(S0 - SenderClock + 400 + 40 + 300, "a", "video", 22, videoRtp),
            Sr(S0 - SenderClock + 2000 + 40, 11, audioRtp + 2 * 48000, S0 + 2000),
            Sr(S0 - SenderClock + 2400 + 55, 22, unchecked(videoRtp + 2 * 90000), S0 + 2400),
            Sr(S0 - SenderClock + 5000 + 70, 11, audioRtp + 5 * 48000, S0 + 5000),
            Leave(T0 + 9000, "a"),
            End(T0 + 9100));

        var alice = Assert.Single(capture.Participants);
        var audio = alice.Tracks.Single(t => t.Kind == TrackKind.Audio);
        var video = alice.Tracks.Single(t => t.Kind == TrackKind.Video);
        Assert.Equal(TrackPlacementSource.SenderReport, audio.PlacedBy);
        Assert.Equal(TrackPlacementSource.SenderReport, video.PlacedBy);
        // The offset is the least delayed SR's (40 ms): audio's first sample lands where its first packet arrived.
        Assert.Equal(100 + 40, audio.StartMs);
        Assert.Equal(400, video.StartMs - audio.StartMs); // lip sync: exactly the sender's 400 ms, not 700
        Assert.Equal(9000, capture.DurationMs);
        Assert.True(capture.EndedNormally);
    }

    private static TimelineEvent Sync(long at, uint ssrc, uint rtp) => new() { Type = "sync", At = at, Ssrc = ssrc, Rtp = rtp };

    [Fact]
    public void On_a_busy_node_a_track_without_reports_keeps_lip_sync_with_one_placed_by_late_reports()
    {
        // A late joiner's audio has no SR yet (browsers send audio SRs every ~5 s); its video's SRs all reached a busy
        // node 150 ms late and its first audio packet 60 ms late. Sync samples saw the path's least delay (5 ms) on both.
        const long Sa = T0 + SenderClock + 3000; // the sender's clock when the audio's first RTP timestamp was sampled
        uint audioRtp = 7_000_000, videoRtp = 4_294_960_000; // video wraps past 2^32
        long Arrival(long senderMs, long delay) => senderMs - SenderClock + delay;
        var events = new List<TimelineEvent>
        {
            Join(T0, "c", "Carla"), Track(T0 + 20, "c", "audio", 1, 100), Track(T0 + 30, "c", "video", 2, 200),
            Sr(T0 + 1000, 1, 100 + 48000, T0 + SenderClock + 980), Sr(T0 + 1000, 2, 200 + 90000, T0 + SenderClock + 990),
            Join(T0 + 2990, "s", "Sara", "supervisor"),
            Track(Arrival(Sa, 60), "s", "audio", 11, audioRtp),
            Track(Arrival(Sa + 250, 100), "s", "video", 22, videoRtp),
        };
        for (uint k = 1; k <= 3; k++)
        {
            events.Add(Sr(Arrival(Sa + 250 + 1000 * k, 150), 22, unchecked(videoRtp + 90000 * k), Sa + 250 + 1000 * k));
            events.Add(Sync(Arrival(Sa + 1000 * k, 5), 11, audioRtp + 48000 * k));
            events.Add(Sync(Arrival(Sa + 250 + 1000 * k - 500, 5), 22, unchecked(videoRtp + 90000 * k - 45000)));
            events.Add(Sync(Arrival(Sa + 1000 * k + 300, 90), 11, audioRtp + 48000 * k + 14400)); // a queued one: not the least
        }
        events.Add(End(T0 + 7000));
        var capture = Build([.. events]);

        var sara = capture.Participants.Single(p => p.Id == "s");
        var audio = sara.Tracks.Single(t => t.Kind == TrackKind.Audio);
        var video = sara.Tracks.Single(t => t.Kind == TrackKind.Video);
        Assert.Equal(TrackPlacementSource.ArrivalSamples, audio.PlacedBy);
        Assert.Equal(TrackPlacementSource.SenderReport, video.PlacedBy);
        Assert.Equal(Arrival(Sa, 5) - T0, audio.StartMs);
        Assert.Equal(250, video.StartMs - audio.StartMs); // the sender's 250 ms: not 335 (late reports against a late first packet)
    }

    [Fact]
    public void Twenty_minutes_of_clocks_drifting_0_1_percent_apart_end_within_40_ms()
    {
        // The sender's audio clock runs 0.1 % fast, its video clock true: 1.2 s apart after 20 minutes of media time.
        const long S0 = T0 + SenderClock;
        const double Drift = 0.001, Minutes = 20;
        uint audioRtp = 3_000_000, videoRtp = 4_000_000_000;
        var events = new List<TimelineEvent> { Join(T0, "a", "Alice"), Track(T0 + 40, "a", "audio", 11, audioRtp), Track(T0 + 40, "a", "video", 22, videoRtp) };
        for (int s = 1; s < Minutes * 60; s++)
        {
            events.Add(Sr(T0 + s * 1000 + 40, 11, unchecked(audioRtp + (uint)Math.Round(s * 48000 * (1 + Drift))), S0 + s * 1000));
            events.Add(Sr(T0 + s * 1000 + 45, 22, unchecked(videoRtp + (uint)(s * 90000)), S0 + s * 1000));
        }
        events.Add(End(T0 + (long)(Minutes * 60_000) + 100));
        var tracks = Build([.. events]).Participants[0].Tracks;
        var audio = tracks.Single(t => t.Kind == TrackKind.Audio);
        var video = tracks.Single(t => t.Kind == TrackKind.Video);

        // Where the media sampled at the 20-minute mark of the sender's clock lands on the recording.
        double end = Minutes * 60;
        double audioAt = audio.StartMs + end * (1 + Drift) * 1000 * audio.ClockScale;
        double videoAt = video.StartMs + end * 1000 * video.ClockScale;
        Assert.InRange(audioAt - videoAt, -40, 40);
    }

    [Fact]
    public void The_arrival_sampler_keeps_each_windows_least_delayed_packet_across_the_timestamp_wrap()
    {
        var sampler = new ArrivalSampler(90000);
        Assert.Null(sampler.TakeWindow());
        sampler.Offer(4_294_967_000, 10_000);
        sampler.Offer(unchecked(4_294_967_000 + 9000), 10_130); // 100 ms of media later, 130 ms later: 30 ms more delay
        sampler.Offer(unchecked(4_294_967_000 + 18000), 10_195); // past the wrap, 5 ms less delay than the first
        Assert.Equal((unchecked(4_294_967_000u + 18000), 10_195L), sampler.TakeWindow());
        Assert.Null(sampler.TakeWindow());
        sampler.Offer(unchecked(4_294_967_000 + 27000), 10_400);
        Assert.Equal((unchecked(4_294_967_000u + 27000), 10_400L), sampler.TakeWindow());
    }

    [Fact]
    public void Without_sender_reports_the_first_packet_arrival_places_a_track()
    {
        var capture = Build(
            Join(T0, "a", "Alice"),
            Track(T0 + 250, "a", "audio", 11, 5),
            Track(T0 + 700, "a", "video", 22, 7),
            Sr(T0 + 3000, 99, 1, T0 + 2000), // another participant's SSRC: ignored
            Leave(T0 + 11_000, "a"));
        var tracks = capture.Participants[0].Tracks;
        Assert.All(tracks, t => Assert.Equal(TrackPlacementSource.FirstPacketArrival, t.PlacedBy));
        Assert.Equal([250L, 700L], tracks.Select(t => t.StartMs));
        Assert.Equal([10_250L, 10_700L], tracks.Select(t => t.EndMs));
    }

    [Fact]
    public void A_sender_report_far_from_the_arrival_is_taken_for_a_broken_clock()
    {
        var capture = Build(
            Join(T0, "a", "Alice"),
            Track(T0 + 300, "a", "audio", 11, 0),
            Sr(T0 + 1300, 11, 20 * 48000, 5000), // says the first sample was sent 19 s before it arrived
            Leave(T0 + 5000, "a"));
        var track = capture.Participants[0].Tracks.Single();
        Assert.Equal(TrackPlacementSource.FirstPacketArrival, track.PlacedBy);
        Assert.Equal(300, track.StartMs);
    }

    [Fact]
    public void Each_participant_has_its_own_sender_clock_and_a_track_without_reports_falls_back()
    {
        // Only audio has SRs; video falls back to its arrival. The offset of Bob's clock is not Alice's.
        var capture = Build(
            Join(T0, "a", "Alice"),
            Join(T0 + 100, "b", "Bob"),
            Track(T0 + 200, "a", "audio", 11, 0),
            Track(T0 + 300, "b", "audio", 33, 0),
            Track(T0 + 900, "b", "video", 44, 0),
            Sr(T0 + 1200, 11, 48000, 5_000),     // Alice: offset T0 + 200 - 5000 + 1000
            Sr(T0 + 1300, 33, 48000, 90_000),    // Bob: another clock
            Leave(T0 + 6000, "a"), Leave(T0 + 6000, "b"));
        var alice = capture.Participants.Single(p => p.Id == "a").Tracks.Single();
        var bob = capture.Participants.Single(p => p.Id == "b").Tracks;
        Assert.Equal(200, alice.StartMs);
        Assert.Equal(300, bob.Single(t => t.Kind == TrackKind.Audio).StartMs);
        Assert.Equal(TrackPlacementSource.SenderReport, bob.Single(t => t.Kind == TrackKind.Audio).PlacedBy);
        Assert.Equal(TrackPlacementSource.FirstPacketArrival, bob.Single(t => t.Kind == TrackKind.Video).PlacedBy);
        Assert.Equal(900, bob.Single(t => t.Kind == TrackKind.Video).StartMs);
    }

    [Fact]
    public void A_late_joiner_comes_second_and_is_present_from_its_join()
    {
        var capture = Build(
            Join(T0 + 2000, "b", "Bob"),  // written out of order does not matter: the first join is the origin
            Join(T0, "a", "Alice", "agent"),
            Track(T0 + 2400, "b", "audio", 33, 0),
            Leave(T0 + 5000, "b"),
            Leave(T0 + 6000, "a"),
            End(T0 + 6000));
        Assert.Equal(["a", "b"], capture.Participants.Select(p => p.Id));
        Assert.Equal([0, 1], capture.Participants.Select(p => p.JoinOrder));
        Assert.Equal([new TimeRange(0, 6000)], capture.Participants[0].Presence);
        Assert.Equal([new TimeRange(2000, 5000)], capture.Participants[1].Presence);
        Assert.Equal(2400, capture.Participants[1].Tracks.Single().StartMs);
        Assert.Equal("agent", capture.Participants[0].Role);
        Assert.Equal(6000, capture.DurationMs);
    }

    [Fact]
    public void A_rejoin_adds_a_presence_interval()
    {
        var capture = Build(
            Join(T0, "a", "Alice"), Join(T0 + 500, "b", "Bob"),
            Leave(T0 + 1000, "b"), Join(T0 + 3000, "b", "Bob"),
            Leave(T0 + 4000, "b"), Leave(T0 + 7000, "a"), End(T0 + 7000));
        Assert.Equal([new TimeRange(500, 1000), new TimeRange(3000, 4000)], capture.Participants[1].Presence);
    }

    [Fact]
    public void A_capture_cut_by_a_crash_ends_with_its_last_media()
    {
        // No leave, no end: the node died. Alice's video was written up to 7.5 s after its start, her audio 7.2 s.
        var capture = CaptureReader.Build(
            [
                Join(T0, "a", "Alice"), Join(T0 + 1000, "b", "Bob"),
                Track(T0 + 200, "a", "audio", 11, 0), Track(T0 + 300, "a", "video", 22, 0),
                Track(T0 + 1100, "b", "audio", 33, 0),
                Leave(T0 + 4000, "b"),
                Sync(T0 + 7100, 11, 6900 * 48), // the last line before the crash: a sync sample of the audio still flowing
            ],
            "/capture", Files(3, new() { ["a-audio.ogg"] = 7.2, ["a-video.ivf"] = 7.5 }));
        Assert.False(capture.EndedNormally);
        Assert.Equal(7800, capture.DurationMs);
        Assert.Equal([new TimeRange(0, 7800)], capture.Participants[0].Presence);
        Assert.Equal([new TimeRange(1000, 4000)], capture.Participants[1].Presence);
    }

    [Fact]
    public void A_track_whose_timestamps_claim_more_than_the_call_is_cut_at_the_calls_end()
    {
        // A sender's 2^31 jump in one file: 12 hours of media time in a call of 5 s.
        var ended = CaptureReader.Build(
            [Join(T0, "a", "Alice"), Track(T0 + 200, "a", "audio", 11, 0), Track(T0 + 300, "a", "video", 22, 0), Leave(T0 + 5000, "a"), End(T0 + 5100)],
            "/capture", Files(3, new() { ["a-audio.ogg"] = 44_739.0 }));
        Assert.Equal(5000, ended.DurationMs);
        Assert.Equal([(200L, 5000L), (300L, 3300L)], ended.Tracks.Select(t => (t.StartMs, t.EndMs)));
        Assert.Contains(ended.Warnings, w => w.Contains("a-audio.ogg") && w.Contains("past the call"));

        // Cut by a crash: the recording ends with the last timeline line and the second of media flushed after it, not the jump.
        var crashed = CaptureReader.Build(
            [Join(T0, "a", "Alice"), Track(T0 + 200, "a", "audio", 11, 0), Sync(T0 + 4200, 11, 4000 * 48)],
            "/capture", Files(3, new() { ["a-audio.ogg"] = 44_739.0 }));
        Assert.Equal(4200 + CaptureReader.CrashAllowanceMs, crashed.DurationMs);
        Assert.Equal(crashed.DurationMs, crashed.Tracks.Single().EndMs);
    }

    [Fact]
    public void A_crash_without_media_ends_with_the_last_event()
    {
        var capture = Build(Join(T0, "a", "Alice"), new TimelineEvent { Type = "mute", At = T0 + 2500, Participant = "a", Kind = "audio", Muted = true });
        Assert.Equal(2500, capture.DurationMs);
        Assert.Empty(capture.Participants[0].Tracks);
    }

    [Fact]
    public void Video_mutes_become_intervals_and_an_open_one_lasts_to_the_end()
    {
        TimelineEvent Mute(long at, bool muted) => new() { Type = "mute", At = at, Participant = "a", Kind = "video", Muted = muted };
        var capture = Build(Join(T0, "a", "Alice"), Mute(T0 + 1000, true), Mute(T0 + 2000, false), Mute(T0 + 4000, true), Leave(T0 + 5000, "a"));
        Assert.Equal([new TimeRange(1000, 2000), new TimeRange(4000, 5000)], capture.Participants[0].VideoMuted);
    }

    [Fact]
    public void A_missing_file_is_skipped_with_a_warning()
    {
        var capture = Build(Join(T0, "a", "Alice"), Track(T0 + 10, "a", "audio", 11, 0, "missing.ogg"), Track(T0 + 20, "a", "audio", 12, 0, "../../etc/passwd"), Leave(T0 + 3000, "a"));
        Assert.Empty(capture.Participants[0].Tracks);
        Assert.Equal(2, capture.Warnings.Count);
    }

    [Fact]
    public void A_capture_without_participants_is_refused() =>
        Assert.Throws<InvalidDataException>(() => Build(new TimelineEvent { Type = "call", At = T0 }, End(T0 + 10)));

    [Fact]
    public void Real_files_with_a_torn_last_frame_and_page_are_read_up_to_what_was_written()
    {
        var dir = Directory.CreateTempSubdirectory("voki-capture-").FullName;
        try
        {
            var ivf = SyntheticFiles.Ivf(frames: 61);            // 2 s + one frame at 30 fps
            File.WriteAllBytes(Path.Combine(dir, "a-video.ivf"), ivf[..^7]); // the last frame is torn
            var ogg = SyntheticFiles.OggOpus(pages: 3);
            File.WriteAllBytes(Path.Combine(dir, "a-audio.ogg"), ogg[..^20]); // the last page is torn
            File.WriteAllLines(Path.Combine(dir, TimelineEvent.FileName), new[]
            {
                Join(T0, "a", "Alice"), Track(T0 + 100, "a", "audio", 11, 0), Track(T0 + 150, "a", "video", 22, 0),
            }.Select(e => System.Text.Json.JsonSerializer.Serialize(e, TimelineEvent.Json)).Append("{\"type\":\"sr\",\"at\":17"));

            var capture = CaptureReader.Read(dir);
            var tracks = capture.Participants[0].Tracks;
            var video = tracks.Single(t => t.Kind == TrackKind.Video);
            var audio = tracks.Single(t => t.Kind == TrackKind.Audio);
            Assert.True(video.Torn);
            Assert.True(audio.Torn);
            Assert.Equal(150 + 2000, video.EndMs);
            Assert.Equal(100 + 2000, audio.EndMs);
            Assert.Equal((640, 360), (video.Width, video.Height));
            Assert.Equal(2150, capture.DurationMs);
            Assert.False(capture.EndedNormally);
            Assert.Equal(2, capture.Warnings.Count(w => w.Contains("torn")));
        }
        finally { Directory.Delete(dir, true); }
    }
}
