using Microsoft.Extensions.Logging.Abstractions;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Transcription;
using Xunit.Abstractions;

namespace Voki.Tests.Transcription;

/// <summary>
/// Voice activity detection before Whisper (issue 12 item 5): Silero VAD (the model from @ricky0123/vad-web on ONNX
/// Runtime) on sentences spoken by espeak-ng between silence and noise, the detector's hysteresis, and the transcriber
/// giving Whisper only the speech, on the call's timeline.
/// </summary>
[Collection(WhisperCollection.Name)]
public sealed class VoiceActivityTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = TranscriptionFixtures.TempDirectory("vad");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string VadModel => new TranscriptionOptions().VadModelPath;

    /// <summary>Six sentences (three voices, two speeds, one over noise) between silence, white noise and brown noise.</summary>
    private static SpokenAudio Conversation() => new SpokenAudio()
        .Silence(1.5)
        .Say("Good morning, thank you for calling. How can I help you today?")
        .WhiteNoise(3, 0.03)
        .Say("Bom dia, eu gostaria de saber o estado do meu pedido.", voice: "pt-br")
        .BrownNoise(3, 0.05)
        .Say("Of course. Could you tell me the order number, please?", wordsPerMinute: 200)
        .Silence(2)
        .WhiteNoise(2, 0.08)
        .Say("Claro, el número es cuatro cinco siete dos.", voice: "es", noise: 0.01)
        .BrownNoise(2.5, 0.08)
        .Say("Thank you. Your order left our warehouse yesterday.", wordsPerMinute: 130)
        .Silence(1)
        .WhiteNoise(1.5, 0.02)
        .Say("Perfeito, muito obrigado.", voice: "pt-br", wordsPerMinute: 190)
        .Silence(1.5);

    [SkippableFact]
    public void Silero_finds_at_least_95_percent_of_speech_frames_and_calls_at_most_5_percent_of_noise_speech()
    {
        var audio = Conversation();
        var samples = audio.Samples;
        using var vad = SileroVad.Open(VadModel);
        var detector = new SpeechDetector();
        var regions = new List<SpeechRegion>();
        for (var f = 0; (f + 1) * SileroVad.FrameSamples <= samples.Length; f++)
            if (detector.Push(vad.Probability(samples.AsSpan(f * SileroVad.FrameSamples, SileroVad.FrameSamples))) is { } region) regions.Add(region);
        if (detector.Finish() is { } last) regions.Add(last);

        var detected = regions.SelectMany(r => Enumerable.Range((int)r.Start, (int)(r.End - r.Start)).Select(f => (long)f)).ToHashSet();
        var speech = audio.SpeechFrames();
        var noise = audio.NonSpeechFrames();
        var found = speech.Count(detected.Contains) / (double)speech.Count;
        var falseAlarms = noise.Count(detected.Contains) / (double)noise.Count;
        output.WriteLine($"{audio.Seconds:F1} s: {speech.Count} speech frames, {noise.Count} noise and silence frames; found {found:P1} of the speech, called {falseAlarms:P1} of the rest speech");
        output.WriteLine("regions (s): " + string.Join(", ", regions.Select(r => $"{r.Start * SpeechDetector.FrameSeconds:F2}–{r.End * SpeechDetector.FrameSeconds:F2}")));
        output.WriteLine("utterances (s): " + string.Join(", ", audio.Utterances.Select(u => $"{u.Start / 16000.0:F2}–{u.End / 16000.0:F2}")));

        Assert.True(found >= 0.95, $"found {found:P1} of the speech frames");
        Assert.True(falseAlarms <= 0.05, $"called {falseAlarms:P1} of the noise and silence frames speech");
        Assert.Equal(audio.Utterances.Count, regions.Count); // one region per sentence: its pauses between words stay inside
    }

    [SkippableFact]
    public void Silence_and_noise_alone_have_no_speech()
    {
        var audio = new SpokenAudio().Silence(3).WhiteNoise(4, 0.05).BrownNoise(4, 0.1).WhiteNoise(2, 0.15).Silence(2);
        var samples = audio.Samples;
        using var vad = SileroVad.Open(VadModel);
        var detector = new SpeechDetector();
        var regions = new List<SpeechRegion>();
        float highest = 0;
        for (var f = 0; (f + 1) * SileroVad.FrameSamples <= samples.Length; f++)
        {
            var p = vad.Probability(samples.AsSpan(f * SileroVad.FrameSamples, SileroVad.FrameSamples));
            highest = Math.Max(highest, p);
            if (detector.Push(p) is { } region) regions.Add(region);
        }
        if (detector.Finish() is { } last) regions.Add(last);
        output.WriteLine($"highest speech probability {highest:F3}");
        Assert.Empty(regions);
    }

    [Fact]
    public void The_detector_holds_speech_through_short_pauses_and_ignores_blips()
    {
        // 32 ms frames: 0.9 is speech, 0.1 silence, 0.4 between the thresholds (0.5 and 0.35).
        static List<SpeechRegion> Regions(params (float P, int Frames)[] script)
        {
            var detector = new SpeechDetector();
            var regions = new List<SpeechRegion>();
            foreach (var (p, n) in script)
                for (var i = 0; i < n; i++)
                    if (detector.Push(p) is { } r) regions.Add(r);
            if (detector.Finish() is { } last) regions.Add(last);
            return regions;
        }

        // A pause of 10 frames (320 ms) stays inside; one of 16 (512 ms ≥ 500 ms) ends the region where it began.
        Assert.Equal([new SpeechRegion(5, 45)], Regions((0.1f, 5), (0.9f, 20), (0.1f, 10), (0.9f, 10), (0.1f, 30)));
        Assert.Equal([new SpeechRegion(5, 25), new SpeechRegion(41, 51)], Regions((0.1f, 5), (0.9f, 20), (0.1f, 16), (0.9f, 10), (0.1f, 30)));
        // Hysteresis: after speech starts, frames between the thresholds do not end it (they are not silence)…
        Assert.Equal([new SpeechRegion(0, 30)], Regions((0.9f, 10), (0.4f, 10), (0.9f, 10), (0.1f, 20)));
        // …yet a region ends after its last frame above the threshold (the probability falls slowly after speech).
        Assert.Equal([new SpeechRegion(0, 10)], Regions((0.9f, 10), (0.4f, 30), (0.1f, 20)));
        // …but they do not start it.
        Assert.Empty(Regions((0.4f, 50), (0.1f, 20)));
        // Under 250 ms (8 frames) is a blip.
        Assert.Empty(Regions((0.1f, 5), (0.9f, 7), (0.1f, 30)));
        // Speech still going at the end of the stream ends there.
        Assert.Equal([new SpeechRegion(3, 23)], Regions((0.1f, 3), (0.9f, 20)));
        // A monologue is cut at its last pause before 28 s (875 frames), and goes on in the next region.
        var cut = Regions((0.9f, 500), (0.1f, 5), (0.9f, 600), (0.1f, 30));
        Assert.Equal([new SpeechRegion(0, 500), new SpeechRegion(500, 1105)], cut);
        // Without any pause it is cut at the limit.
        Assert.Equal([new SpeechRegion(0, 875), new SpeechRegion(875, 1000)], Regions((0.9f, 1000), (0.1f, 30)));
    }

    /// <summary>
    /// With random weights Whisper says random words on anything it is given, silence included: so a track of silence
    /// and one of noise yield no segment only because Whisper never ran on them, while the spoken track does yield some.
    /// </summary>
    [SkippableFact]
    public async Task Whisper_never_hears_silent_or_noisy_tracks_and_speech_lands_on_the_call_timeline()
    {
        var model = TranscriptionFixtures.SyntheticModel();
        var spoken = new SpokenAudio().Silence(2).Say("Good morning, how can I help you?").Silence(4)
            .Say("Your order left our warehouse yesterday.").Silence(2);
        var speechWav = Wav("speech.wav", spoken.Samples);
        var capture = new CaptureBuilder(Path.Combine(_root, "three"))
            .Join("u-1", "Ana Souza", "attendant")
            .Join("customer", "Carlos Ferreira", "customer")
            .Join("u-2", "Bia Lima", "supervisor")
            .Audio("u-1", 1.0, "-i", speechWav)
            .Audio("customer", 0.5, "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "12")
            .Audio("u-2", 0.2, "-f", "lavfi", "-i", "anoisesrc=d=12:c=brown:a=0.1")
            .Write();
        var windows = new List<TranscribedWindow>();
        var transcriber = new WhisperCallTranscriber(
            new TranscriptionOptions { ModelPath = model, Threads = 2, TemperatureFallback = false }, NullLogger<WhisperCallTranscriber>.Instance);

        var result = await transcriber.TranscribeAsync(capture, "en-US", _ => { }, CancellationToken.None,
            new TranscriptionCheckpoint([], w => { lock (windows) windows.Add(w); }));

        Assert.All(windows, w => Assert.StartsWith("u-1-audio", w.Track));
        Assert.NotEmpty(result.Segments);
        Assert.All(result.Segments, s => Assert.Equal("attendant", s.Speaker));
        // Every segment starts and ends within a sentence and its padding (300 ms, after the VAD's end that may lag by as much), on the call's timeline (the track starts
        // at 1.0 s): never in the silence the window left out. (Random words may run from one sentence into the next.)
        var spans = spoken.Utterances.Select(u => (Start: 1.0 + u.Start / 16000.0 - 0.4, End: 1.0 + u.End / 16000.0 + 0.7)).ToList();
        output.WriteLine("sentences: " + string.Join(", ", spans.Select(s => $"{s.Start:F2}–{s.End:F2}")));
        output.WriteLine("segments: " + string.Join(", ", result.Segments.Select(s => $"{s.Start:F2}–{s.End:F2}")));
        Assert.All(result.Segments, s =>
        {
            Assert.Contains(spans, span => s.Start >= span.Start && s.Start <= span.End);
            Assert.Contains(spans, span => s.End >= span.Start && s.End <= span.End);
        });
        // One window from the first sentence to the second, with their padding: the silence around them is not in it.
        var window = Assert.Single(windows);
        output.WriteLine($"window {window.Start / 16000.0:F2}–{window.End / 16000.0:F2} s of the track; {result.Segments.Count} segments");
        Assert.InRange(window.Start / 16000.0, spoken.Utterances[0].Start / 16000.0 - 0.35, spoken.Utterances[0].Start / 16000.0);
        Assert.InRange(window.End / 16000.0, spoken.Utterances[1].End / 16000.0, spoken.Utterances[1].End / 16000.0 + 0.7);
        Assert.InRange(result.AudioSeconds, 24 + spoken.Seconds - 0.5, 24 + spoken.Seconds + 0.5);
    }

    [Fact]
    public async Task A_missing_vad_model_fails_the_transcription_with_its_name()
    {
        var capture = new CaptureBuilder(Path.Combine(_root, "missing")).Audio("customer", 0, "-i", TranscriptionFixtures.Jfk, "-t", "2").Write();
        var transcriber = new WhisperCallTranscriber(new TranscriptionOptions
        {
            ModelPath = TranscriptionFixtures.HeaderOnlyModel,
            AllowWeightlessModel = true,
            VadModelPath = Path.Combine(_root, "silero_vad_v6.onnx"),
        }, NullLogger<WhisperCallTranscriber>.Instance);

        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => transcriber.TranscribeAsync(capture, "en-US", _ => { }, CancellationToken.None));
        Assert.Equal("the voice activity model silero_vad_v6.onnx is missing (Transcription:VadModelPath); the README's \"Transcription\" section says where it comes from", e.Message);

        File.WriteAllText(Path.Combine(_root, "silero_vad_v6.onnx"), "not a model");
        var corrupt = await Assert.ThrowsAsync<InvalidDataException>(() => transcriber.TranscribeAsync(capture, "en-US", _ => { }, CancellationToken.None));
        Assert.StartsWith("the voice activity model silero_vad_v6.onnx could not be loaded", corrupt.Message);
        Assert.DoesNotContain(_root, corrupt.Message);
    }

    private string Wav(string name, float[] samples)
    {
        var raw = Path.Combine(_root, name + ".f32");
        var bytes = new byte[samples.Length * sizeof(float)];
        Buffer.BlockCopy(samples, 0, bytes, 0, bytes.Length);
        File.WriteAllBytes(raw, bytes);
        var wav = Path.Combine(_root, name);
        TranscriptionFixtures.Ffmpeg("-f", "f32le", "-ar", "16000", "-ac", "1", "-i", raw, wav);
        return wav;
    }
}
