namespace Voki.Transcription;

/// <summary>A stretch of speech in a stream of VAD frames: frames [Start, End).</summary>
public readonly record struct SpeechRegion(long Start, long End);

/// <summary>
/// Turns per-frame speech probabilities (<see cref="SileroVad"/>, 32 ms frames) into speech regions, as silero-vad's
/// get_speech_timestamps does, one frame at a time so a long track never has to be held:
/// <list type="bullet">
/// <item>hysteresis: speech starts at a frame of probability ≥ <see cref="Threshold"/> and only a frame below
///   <see cref="Threshold"/> − 0.15 counts as silence, so a probability hovering near the threshold does not flicker;</item>
/// <item>a region ends after its last frame at or above <see cref="Threshold"/> once a silence has lasted
///   <see cref="MinSilence"/> (shorter pauses, between words, stay inside; the model's probability falls slowly after
///   speech, so the frames of that fall are not kept), and is dropped when shorter than <see cref="MinSpeech"/> (a
///   click, a cough);</item>
/// <item>a region never grows past <see cref="MaxSpeech"/>: it is cut at its last pause of ≥ 96 ms, or at the limit
///   when there was none, and speech goes on in a new region (so a monologue still fits Whisper's 30 s window).</item>
/// </list>
/// Regions come without padding: <see cref="SpeechWindows"/> adds it.
/// </summary>
public sealed class SpeechDetector
{
    public const double FrameSeconds = SileroVad.FrameSamples / (double)SileroVad.SampleRate;
    private const double NegativeMargin = 0.15;
    private const int PauseFrames = 3; // 96 ms: a pause worth cutting a long region at

    public float Threshold { get; init; } = 0.5f;
    public TimeSpan MinSpeech { get; init; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan MinSilence { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxSpeech { get; init; } = TimeSpan.FromSeconds(28);

    private long _frame;
    private long? _start, _silenceStart, _lastPause;
    private long _lastSpeech;

    /// <summary>The first frame of the region still open (null in silence): its audio cannot be let go yet.</summary>
    public long? OpenStart => _start;

    /// <summary>Takes the next frame's probability; returns the region it closes, if any.</summary>
    public SpeechRegion? Push(float probability)
    {
        var i = _frame++;
        SpeechRegion? closed = null;
        if (probability >= Threshold)
        {
            if (_silenceStart is { } pause && i - pause >= PauseFrames) _lastPause = pause;
            _silenceStart = null;
            _start ??= i;
            _lastSpeech = i;
        }
        else if (_start is not null && probability < Threshold - NegativeMargin)
        {
            _silenceStart ??= i;
            if (i + 1 - _silenceStart.Value >= Frames(MinSilence))
            {
                closed = Region(_start.Value, _lastSpeech + 1);
                _start = _silenceStart = _lastPause = null;
            }
        }
        if (_start is { } start && i + 1 - start >= Frames(MaxSpeech))
        {
            var cut = _silenceStart is null ? _lastPause ?? i + 1 : _lastSpeech + 1;
            closed = Region(start, cut);
            // What follows the cut is still speech (or the pause before more of it): a new region starts there.
            _start = _silenceStart is null ? cut : null;
            _silenceStart = _lastPause = null;
        }
        return closed;
    }

    /// <summary>The end of the stream: the region still open, if any.</summary>
    public SpeechRegion? Finish()
    {
        if (_start is not { } start) return null;
        var region = Region(start, _silenceStart is null ? _frame : _lastSpeech + 1);
        _start = _silenceStart = _lastPause = null;
        return region;
    }

    private SpeechRegion? Region(long start, long end) => end - start >= Frames(MinSpeech) ? new SpeechRegion(start, end) : null;

    private static long Frames(TimeSpan duration) => (long)Math.Ceiling(duration.TotalSeconds / FrameSeconds);
}
