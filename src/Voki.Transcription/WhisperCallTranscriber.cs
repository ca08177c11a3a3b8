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
/// knows its speaker), decoded by FFmpeg to 16 kHz mono and run through Whisper (whisper.cpp via Whisper.net, CPU),
/// then shifted onto the call's timeline and merged by time. One attempt has a time limit that grows with the audio.
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
        // whisper.cpp's own warnings and errors (a model without tensors, a failed load) go to our log, once per process.
        if (Interlocked.Exchange(ref _logging, 1) == 0)
            LogProvider.AddLogger((level, message) =>
            {
                if (level == WhisperLogLevel.Error) logger.LogWarning("whisper.cpp: {Message}", message?.TrimEnd());
                else if (level == WhisperLogLevel.Warning) logger.LogInformation("whisper.cpp: {Message}", message?.TrimEnd());
            });
    }

    public async Task<CallTranscript> TranscribeAsync(string captureDirectory, string locale, Action<TranscriptionProgress> progress, CancellationToken cancellation)
    {
        var (tracks, recordingSeconds) = CaptureAudio.Read(captureDirectory);
        var total = tracks.Sum(t => t.Duration);
        var limit = _options.MinimumTimeout + TimeSpan.FromSeconds(total * _options.TimeoutPerAudioSecond);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(limit);
        progress(new TranscriptionProgress { TotalSeconds = total });
        try
        {
            return await Transcribe(tracks, total, recordingSeconds, locale, progress, deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            throw new TimeoutException($"the transcription took longer than its limit of {limit.TotalSeconds:F0} s for {total:F0} s of audio");
        }
    }

    private async Task<CallTranscript> Transcribe(IReadOnlyList<AudioTrack> tracks, double total, double recordingSeconds, string locale,
        Action<TranscriptionProgress> progress, CancellationToken cancellation)
    {
        var (factory, builder) = WhisperModelFile.Open(_options);
        using var _ = factory;
        var language = LanguageTags.ToWhisper(locale);
        if (language is not null && !WhisperFactory.GetSupportedLanguages().Contains(language))
            throw new ArgumentException($"Whisper does not know the language of the locale {locale}");
        double done = 0, current = 0;
        builder = builder.WithThreads(_options.EffectiveThreads)
            .WithProgressHandler(percent => progress(new TranscriptionProgress
            {
                ProcessedSeconds = done + Math.Clamp(percent, 0, 100) / 100.0 * current,
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
            var samples = await PcmDecoder.DecodeAsync(_options.FfmpegPath, track.File, track.Duration, cancellation);
            current = samples.Length / (double)PcmDecoder.SampleRate;
            total += current - track.Duration; // the decoded length is the true one
            if (samples.Length >= PcmDecoder.SampleRate / 10) // under 100 ms there is nothing to hear
            {
                await foreach (var s in BelowNormal(processor.ProcessAsync(samples, cancellation), cancellation))
                {
                    var text = s.Text.Trim();
                    if (text.Length == 0 || NonSpeech().IsMatch(text)) continue;
                    // On the recording's timeline, within the recording (a track may begin before its first instant).
                    var start = Math.Max(0, track.Offset + s.Start.TotalSeconds);
                    var end = Math.Min(recordingSeconds, track.Offset + Math.Min(s.End.TotalSeconds, current));
                    if (start >= recordingSeconds) continue;
                    segments.Add(new TranscriptSegment
                    {
                        Start = Math.Round(start, 3),
                        End = Math.Round(Math.Max(start, end), 3),
                        Speaker = track.Role,
                        SpeakerName = track.Name,
                        Text = text,
                    });
                    if (s.Language is { Length: > 0 } code) heard[code] = heard.GetValueOrDefault(code) + (s.End - s.Start).TotalSeconds;
                }
            }
            done += current;
            current = 0;
            progress(new TranscriptionProgress { ProcessedSeconds = done, TotalSeconds = total });
            _logger.LogDebug("Transcribed {File}: {Seconds:F1} s at {Offset:F1} s ({Speaker})", Path.GetFileName(track.File), done, track.Offset, track.Role);
        }

        var reported = language is null
            ? LanguageTags.FromWhisper(heard.Count == 0 ? null : heard.MaxBy(h => h.Value).Key)
            : locale;
        return new CallTranscript(reported, TranscriptText.InTimeOrder(segments), done);
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
