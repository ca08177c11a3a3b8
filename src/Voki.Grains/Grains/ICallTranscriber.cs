using Voki.Grains.Model;

namespace Voki.Grains.Grains;

/// <summary>Turns a call's capture directory into per-speaker transcript segments (Whisper in production).</summary>
public interface ICallTranscriber
{
    /// <summary>
    /// Transcribes each participant's audio on its own and returns the segments on the call's timeline, in time order.
    /// <paramref name="locale"/> is a BCP-47 tag or "detect". Reports progress from any thread; throws with a
    /// readable reason on failure (and <see cref="TimeoutException"/> past its time limit).
    /// <paramref name="checkpoint"/> holds the windows earlier attempts finished (not done again) and takes each window
    /// this one finishes, so that the caller can keep them (null: a job from the start whose windows nobody keeps).
    /// </summary>
    Task<CallTranscript> TranscribeAsync(string captureDirectory, string locale, Action<TranscriptionProgress> progress, CancellationToken cancellation,
        TranscriptionCheckpoint? checkpoint = null);
}

/// <summary>The windows a job's earlier attempts finished, and where this attempt reports each one it finishes (from any thread).</summary>
public sealed record TranscriptionCheckpoint(IReadOnlyList<TranscribedWindow> Finished, Action<TranscribedWindow> WindowFinished)
{
    public static TranscriptionCheckpoint None => new([], _ => { });
}

/// <summary>A finished transcription: the language as BCP-47 (null when detection heard nothing), the segments in time order, and the seconds of audio heard.</summary>
public sealed record CallTranscript(string? Language, IReadOnlyList<TranscriptSegment> Segments, double AudioSeconds);

/// <summary>Transcription settings (section "Transcription"); defaults keep live calls first on a small node.</summary>
public sealed class TranscriptionOptions
{
    /// <summary>A whisper.cpp ggml model file (README "Transcription"); relative paths are from the working directory.</summary>
    public string ModelPath { get; set; } = "models/ggml-base.bin";
    /// <summary>
    /// The Silero VAD model (ONNX) that finds the speech Whisper is given; by default the copy the build puts next to the
    /// node's assemblies (from the npm package @ricky0123/vad-web). Without it transcriptions fail.
    /// </summary>
    public string VadModelPath { get; set; } = Path.Combine(AppContext.BaseDirectory, "models", "silero_vad_v6.onnx");
    /// <summary>Whisper threads per job; 0 = half the cores (at least one).</summary>
    public int Threads { get; set; }
    /// <summary>Jobs that run at once on this node; the others wait, pending.</summary>
    public int MaxConcurrentJobs { get; set; } = 1;
    /// <summary>Attempts before the transcription is failed for good, keeping the last reason.</summary>
    public int MaxAttempts { get; set; } = 3;
    /// <summary>Wait between a failed attempt and the next.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>An attempt may take this long plus <see cref="TimeoutPerAudioSecond"/> for every second of audio, then it fails.</summary>
    public TimeSpan MinimumTimeout { get; set; } = TimeSpan.FromMinutes(5);
    public double TimeoutPerAudioSecond { get; set; } = 3.0;
    /// <summary>FFmpeg, which decodes the captured Ogg Opus tracks to 16 kHz mono PCM.</summary>
    public string FfmpegPath { get; set; } = "ffmpeg";
    /// <summary>
    /// Whisper decodes a window again at higher temperatures when its first result looks unreliable (whisper.cpp's
    /// default). Off, each window is decoded once: faster on noise and silence, somewhat less accurate on hard audio.
    /// </summary>
    public bool TemperatureFallback { get; set; } = true;
    /// <summary>Accept a model file without weights (whisper.cpp's header-only test models, which transcribe nothing): tests only.</summary>
    public bool AllowWeightlessModel { get; set; }

    public int EffectiveThreads => Threads > 0 ? Threads : Math.Max(1, Environment.ProcessorCount / 2);
}
