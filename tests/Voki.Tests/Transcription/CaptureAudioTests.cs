using Voki.Transcription;

namespace Voki.Tests.Transcription;

/// <summary>What the transcriber reads from a capture: speakers, track offsets and lengths, and FFmpeg's 16 kHz decode.</summary>
public sealed class CaptureAudioTests : IDisposable
{
    private readonly string _root = TranscriptionFixtures.TempDirectory("capture-audio");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Each_audio_track_is_placed_on_the_recording_timeline_as_the_composer_places_it_with_its_speaker()
    {
        var dir = new CaptureBuilder(Path.Combine(_root, "c1"))
            .Join("customer", "Carlos Ferreira", "customer", 0.2) // the recording's first instant
            .Join("u-1", "Ana Souza", "attendant", 0.4)
            .Audio("customer", 1.25, "-f", "lavfi", "-i", "sine=f=300:d=2")
            .Audio("u-1", 0.5, "-f", "lavfi", "-i", "sine=f=500:d=1")
            .Video("u-1", 0.6)
            .Leave("customer", 3.3)
            .Join("customer", "Carlos Ferreira", "customer", 4)
            .Audio("customer", 4.5, "-f", "lavfi", "-i", "sine=f=300:d=1.5")
            .Join("u-2", "Sam Supervisor", "supervisor", 5)
            .Audio("u-2", 5.0, "-f", "lavfi", "-i", "sine=f=700:d=0.5")
            .Write();
        File.AppendAllText(Path.Combine(dir, "timeline.jsonl"), "{\"type\":\"track\",\"kind\":\"au"); // torn by a crash

        var (tracks, recording) = CaptureAudio.Read(dir);

        Assert.Equal(["u-1", "customer", "customer", "u-2"], tracks.Select(t => t.ParticipantId));
        Assert.Equal(["attendant", "customer", "customer", "supervisor"], tracks.Select(t => t.Role));
        Assert.Equal(["Ana Souza", "Carlos Ferreira", "Carlos Ferreira", "Sam Supervisor"], tracks.Select(t => t.Name));
        Assert.Equal([0.3, 1.05, 4.3, 4.8], tracks.Select(t => t.Offset));
        Assert.All(tracks.Zip([1.0, 2.0, 1.5, 0.5]), p => Assert.InRange(p.First.Duration, p.Second - 0.03, p.Second + 0.03));
        Assert.InRange(recording, 5.75, 5.85); // from the first join (0.2 s) to the end of the last media (6.0 s)
        Assert.All(tracks, t => Assert.StartsWith(Path.GetFullPath(dir), t.File));
    }

    [Fact]
    public void A_track_with_sender_reports_is_placed_by_them_like_the_composer_does()
    {
        var dir = new CaptureBuilder(Path.Combine(_root, "sr"))
            .Join("customer", "Carlos Ferreira", "customer", 0)
            .Audio("customer", 1.0, "-f", "lavfi", "-i", "sine=d=2") // first packet arrived at 1.0 s
            .Write();
        // One second of media after the first packet (RTP 1234 + 48000), sent at sender time 50,000 and received 2.1 s into the capture:
        // the first packet was sent at 49,000 on a clock 2.1 s - 50 s behind ours, i.e. at 1.1 s.
        File.AppendAllText(Path.Combine(dir, "timeline.jsonl"),
            $"{{\"type\":\"sr\",\"participant\":\"customer\",\"kind\":\"audio\",\"ssrc\":1,\"rtp\":{1234 + 48000},\"ntp_ms\":50000,\"at\":{CaptureBuilder.Origin + 2100}}}\n");

        var track = Assert.Single(CaptureAudio.Read(dir).Tracks);
        var composed = Assert.Single(Voki.Media.Recording.CaptureReader.Read(dir).Tracks);

        Assert.Equal(1.1, track.Offset, 3);
        Assert.Equal(composed.StartMs / 1000.0, track.Offset, 3);
    }

    [Fact]
    public void A_participant_without_a_join_speaks_as_their_id_tells_and_a_file_outside_the_capture_is_ignored()
    {
        var dir = new CaptureBuilder(Path.Combine(_root, "c2"))
            .Audio("customer", 0, "-f", "lavfi", "-i", "sine=d=0.5")
            .Audio("someone", 0, "-f", "lavfi", "-i", "sine=d=0.5")
            .Write();
        File.AppendAllText(Path.Combine(dir, "timeline.jsonl"),
            "{\"type\":\"track\",\"kind\":\"audio\",\"participant\":\"x\",\"file\":\"../../etc/passwd\",\"ssrc\":9,\"at\":" + CaptureBuilder.Origin + "}\n");

        var (tracks, _) = CaptureAudio.Read(dir);

        Assert.Equal(["customer", "supervisor"], tracks.Select(t => t.Role));
        Assert.All(tracks, t => Assert.Equal("", t.Name));
    }

    [Fact]
    public async Task Decoding_fills_a_gap_in_the_capture_with_silence_so_times_stay_track_times()
    {
        // 3 s of tone with packets missing for 2 s after the first second: 5 s of track.
        var dir = new CaptureBuilder(Path.Combine(_root, "c3"))
            .AudioWithGap("customer", 0, gapAt: 1, gapSeconds: 2, "-f", "lavfi", "-i", "sine=f=440:d=3")
            .Write();
        var track = Assert.Single(CaptureAudio.Read(dir).Tracks);
        Assert.InRange(track.Duration, 4.95, 5.05);

        var samples = await PcmDecoder.DecodeAsync("ffmpeg", track.File, track.Duration, CancellationToken.None);

        Assert.InRange(samples.Length / 16_000.0, 4.95, 5.05);
        double Rms(double from, double to) =>
            Math.Sqrt(samples.Skip((int)(from * 16_000)).Take((int)((to - from) * 16_000)).Average(s => (double)s * s));
        // FFmpeg's sine source has amplitude 1/8 (RMS 0.088).
        Assert.True(Rms(0.2, 0.8) > 0.05, $"tone before the gap (RMS {Rms(0.2, 0.8):F3})");
        Assert.True(Rms(1.2, 2.8) < 0.005, $"silence in the gap (RMS {Rms(1.2, 2.8):F3})");
        Assert.True(Rms(3.2, 4.8) > 0.05, $"tone after the gap (RMS {Rms(3.2, 4.8):F3})");
    }

    [Fact]
    public async Task A_file_FFmpeg_cannot_read_fails_with_its_message()
    {
        var file = Path.Combine(_root, "broken.ogg");
        File.WriteAllText(file, "not audio");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => PcmDecoder.DecodeAsync("ffmpeg", file, 1, CancellationToken.None));
        Assert.StartsWith("FFmpeg could not decode broken.ogg", e.Message);
        Assert.DoesNotContain(_root, e.Message); // reasons reach the API: no server paths

        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => PcmDecoder.DecodeAsync("/nonexistent/ffmpeg", file, 1, CancellationToken.None));
        Assert.StartsWith("FFmpeg could not be started", missing.Message);
    }
}
