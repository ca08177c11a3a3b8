using Microsoft.Extensions.Logging.Abstractions;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Transcription;
using Xunit.Abstractions;

namespace Voki.Tests.Transcription;

/// <summary>
/// Long calls (issue 12 item 6): a track is decoded as a stream and transcribed window by window, each finished window
/// reported to the checkpoint; a job stopped in the middle and run again with what it had finished does not transcribe
/// those windows again and ends with the transcript an uninterrupted job gives.
/// </summary>
[Collection(WhisperCollection.Name)]
public sealed class TranscriptionResumeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = TranscriptionFixtures.TempDirectory("resume");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static WhisperCallTranscriber Transcriber(string model) => new(
        new TranscriptionOptions { ModelPath = model, Threads = 1, TemperatureFallback = false }, NullLogger<WhisperCallTranscriber>.Instance);

    [SkippableFact]
    public async Task A_job_stopped_after_a_window_resumes_from_the_next_and_gives_the_same_transcript()
    {
        var model = TranscriptionFixtures.SyntheticModel();
        // 40 s of jfk.wav over and over: more speech than one window holds.
        var capture = new CaptureBuilder(Path.Combine(_root, "long"))
            .Join("customer", "Carlos Ferreira", "customer")
            .Audio("customer", 0.5, "-stream_loop", "-1", "-i", TranscriptionFixtures.Jfk, "-t", "40")
            .Write();

        var all = new List<TranscribedWindow>();
        var whole = await Transcriber(model).TranscribeAsync(capture, "en-US", _ => { }, CancellationToken.None,
            new TranscriptionCheckpoint([], all.Add));
        output.WriteLine("uninterrupted: " + string.Join(", ", all.Select(w => $"{w.Track} {w.Start / 16000.0:F1}–{w.End / 16000.0:F1} s ({w.Segments.Length} segments)")));
        Assert.True(all.Count >= 2, "the track has two windows or more");
        Assert.NotEmpty(whole.Segments);

        // Stopped as soon as its first window is done.
        using var stop = new CancellationTokenSource();
        var first = new List<TranscribedWindow>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Transcriber(model).TranscribeAsync(capture, "en-US", _ => { }, stop.Token,
            new TranscriptionCheckpoint([], w => { first.Add(w); stop.Cancel(); })));
        var done = Assert.Single(first);
        Assert.Equal(all[0], done);

        var again = new List<TranscribedWindow>();
        var progress = new List<TranscriptionProgress>();
        var resumed = await Transcriber(model).TranscribeAsync(capture, "en-US", p => { lock (progress) progress.Add(p); }, CancellationToken.None,
            new TranscriptionCheckpoint(first, again.Add));

        // Only the windows after it were transcribed, and the transcript is the uninterrupted one.
        Assert.Equal(all.Skip(1).Select(w => (w.Track, w.Start)), again.Select(w => (w.Track, w.Start)));
        Assert.Equal(whole.Segments, resumed.Segments);
        Assert.Equal((whole.Language, whole.AudioSeconds), (resumed.Language, resumed.AudioSeconds));
        Assert.Equal(100, progress[^1].Percent);
    }
}
