using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Voki.Media.Recording;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Whisper.net;
using Whisper.net.Logger;

namespace Voki.Transcription;

/// <summary>
/// Transcribes a call the way decisions.md asks: each participant's captured audio on its own (so every segment
/// knows its speaker), streamed from FFmpeg as 16 kHz mono, cut by the VAD into windows of speech
/// (<see cref="SpeechWindows"/>: silence never reaches Whisper, and the work falls with the share of time a person
/// talks), each window run through Whisper (whisper.cpp via Whisper.net, CPU), its segments shifted onto the call's
/// timeline and merged by time. Every finished window is reported to the checkpoint, and a resumed job skips the
/// windows an earlier attempt finished. One attempt has a time limit that grows with the audio.
/// </summary>
public sealed partial class WhisperCallTranscriber : ICallTranscriber
{
    private readonly TranscriptionOptions _options;
    private readonly ILogger<WhisperCallTranscriber> _logger;
    private static int _logging;

    public WhisperCallTranscriber(TranscriptionOptions options, ILogger<WhisperCallTranscriber> logger)
    {
        _options = options;
        _logger = logger;
        MallocTuning.Apply();
        // whisper.cpp's own warnings and errors (a model without tensors, a failed load) go to our log, once per process.
        if (Interlocked.Exchange(ref _logging, 1) == 0)
            LogProvider.AddLogger((level, message) =>
            {
                if (level == WhisperLogLevel.Error) logger.LogWarning("whisper.cpp: {Message}", message?.TrimEnd());
                else if (level == WhisperLogLevel.Warning) logger.LogInformation("whisper.cpp: {Message}", message?.TrimEnd());
            });
    }

    /// <summary>
    /// Without VAD every track goes to Whisper whole, in consecutive 30 s windows: only bench/transcription turns it off,
    /// to measure what the VAD saves. A node always detects speech (and fails when the VAD model is missing).
    /// </summary>
    internal bool VoiceDetection { get; init; } = true;

    public async Task<CallTranscript> TranscribeAsync(string captureDirectory, string locale, Action<TranscriptionProgress> progress, CancellationToken cancellation,
        TranscriptionCheckpoint? checkpoint = null)
    {
        var (tracks, recordingSeconds) = CaptureAudio.Read(captureDirectory);
        var total = tracks.Sum(t => t.Duration);
        var limit = _options.MinimumTimeout + TimeSpan.FromSeconds(total * _options.TimeoutPerAudioSecond);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(limit);
        progress(new TranscriptionProgress { TotalSeconds = total });
        try
        {
            return await Transcribe(tracks, total, recordingSeconds, locale, checkpoint ?? TranscriptionCheckpoint.None, progress, deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            throw new TimeoutException($"the transcription took longer than its limit of {limit.TotalSeconds:F0} s for {total:F0} s of audio");
        }
    }

    private async Task<CallTranscript> Transcribe(IReadOnlyList<AudioTrack> tracks, double total, double recordingSeconds, string locale,
        TranscriptionCheckpoint checkpoint, Action<TranscriptionProgress> progress, CancellationToken cancellation)
    {
        var (factory, builder) = WhisperModelFile.Open(_options);
        using var _ = factory;
        using var vad = VoiceDetection ? SileroVad.Open(_options.VadModelPath) : null;
        var language = LanguageTags.ToWhisper(locale);
        if (language is not null && !WhisperFactory.GetSupportedLanguages().Contains(language))
            throw new ArgumentException($"Whisper does not know the language of the locale {locale}");
        double done = 0, windowStart = 0, windowSpan = 0;
        builder = builder.WithThreads(_options.EffectiveThreads)
            // Each window on its own, as a resumed job sees it: the text of the window before is not the prompt of the next.
            .WithNoContext()
            .WithProgressHandler(percent => progress(new TranscriptionProgress
            {
                ProcessedSeconds = done + windowStart + Math.Clamp(percent, 0, 100) / 100.0 * windowSpan,
                TotalSeconds = total,
            }));
        builder = language is null ? builder.WithLanguageDetection() : builder.WithLanguage(language);
        if (!_options.TemperatureFallback) builder = builder.WithTemperatureInc(0);
        await using var processor = builder.Build();

        var segments = new List<TranscriptSegment>();
        var heard = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var track in tracks)
        {
            cancellation.ThrowIfCancellationRequested();
            var file = Path.GetFileName(track.File);
            // What earlier attempts finished on this track stands; the windows before its end are not transcribed again.
            var earlier = checkpoint.Finished.Where(w => w.Track == file).ToList();
            var resumeAt = earlier.Count == 0 ? 0 : earlier.Max(w => w.End);
            foreach (var w in earlier) Keep(w);

            var windows = new TrackWindows(_options.FfmpegPath, track, vad, cancellation);
            try
            {
                await foreach (var window in windows.ReadAllAsync())
                {
                    if (window.Start < resumeAt) continue;
                    windowStart = window.Start / (double)PcmDecoder.SampleRate;
                    windowSpan = (window.End - window.Start) / (double)PcmDecoder.SampleRate;
                    var finished = await TranscribeWindow(processor, track, file, window, recordingSeconds, cancellation);
                    Keep(finished);
                    checkpoint.WindowFinished(finished);
                    progress(new TranscriptionProgress { ProcessedSeconds = done + window.End / (double)PcmDecoder.SampleRate, TotalSeconds = total });
                }
            }
            finally { await windows.DisposeAsync(); }
            var length = windows.Samples / (double)PcmDecoder.SampleRate;
            total += length - track.Duration; // the decoded length is the true one
            done += length;
            windowStart = windowSpan = 0;
            progress(new TranscriptionProgress { ProcessedSeconds = done, TotalSeconds = total });
            _logger.LogDebug("Transcribed {File}: {Seconds:F1} s at {Offset:F1} s ({Speaker})", file, length, track.Offset, track.Role);
        }

        var reported = language is null
            ? LanguageTags.FromWhisper(heard.Count == 0 ? null : heard.MaxBy(h => h.Value).Key)
            : locale;
        return new CallTranscript(reported, TranscriptText.InTimeOrder(segments), done);

        void Keep(TranscribedWindow window)
        {
            segments.AddRange(window.Segments);
            if (window.Language is { Length: > 0 } code) heard[code] = heard.GetValueOrDefault(code) + window.LanguageSeconds;
        }
    }

    /// <summary>Whisper on one window; its segments placed on the recording's timeline, within the recording (a track may begin before its first instant).</summary>
    private static async Task<TranscribedWindow> TranscribeWindow(WhisperProcessor processor, AudioTrack track, string file, SpeechWindow window,
        double recordingSeconds, CancellationToken cancellation)
    {
        var segments = new List<TranscriptSegment>();
        string? language = null;
        double languageSeconds = 0;
        var length = window.Samples.Length / (double)PcmDecoder.SampleRate;
        await foreach (var s in BelowNormal(processor.ProcessAsync(window.Samples, cancellation), cancellation))
        {
            var text = s.Text.Trim();
            if (text.Length == 0 || NonSpeech().IsMatch(text)) continue;
            var start = Math.Max(0, track.Offset + window.TrackSeconds(s.Start.TotalSeconds, isEnd: false));
            var end = Math.Min(recordingSeconds, track.Offset + window.TrackSeconds(Math.Min(s.End.TotalSeconds, length), isEnd: true));
            if (start >= recordingSeconds) continue;
            segments.Add(new TranscriptSegment
            {
                Start = Math.Round(start, 3),
                End = Math.Round(Math.Max(start, end), 3),
                Speaker = track.Role,
                SpeakerName = track.Name,
                Text = text,
            });
            if (s.Language is { Length: > 0 } code)
            {
                language = code;
                languageSeconds += (s.End - s.Start).TotalSeconds;
            }
        }
        return new TranscribedWindow { Track = file, Start = window.Start, End = window.End, Segments = [.. segments], Language = language, LanguageSeconds = languageSeconds };
    }

    /// <summary>
    /// Whisper's segments, with Whisper itself below live media: Whisper.net starts the thread that runs whisper_full
    /// (a LongRunning task: a new thread) within the first MoveNextAsync, and whisper.cpp's worker threads are created by
    /// that one, so that first step is taken on a thread at <see cref="BelowNormalPriority.Nice"/> and all of them inherit it.
    /// </summary>
    private static async IAsyncEnumerable<SegmentData> BelowNormal(IAsyncEnumerable<SegmentData> segments,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        await using var enumerator = segments.GetAsyncEnumerator(cancellation);
        var next = BelowNormalPriority.Run(enumerator.MoveNextAsync);
        while (await next)
        {
            yield return enumerator.Current;
            next = enumerator.MoveNextAsync();
        }
    }

    /// <summary>Whisper's annotations for what is not speech: [BLANK_AUDIO], (music), [ Silence ]…</summary>
    [GeneratedRegex(@"^[\[\(][^\]\)]*[\]\)]$")]
    private static partial Regex NonSpeech();
}
