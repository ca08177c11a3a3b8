namespace Voki.Transcription;

/// <summary>Track samples [TrackStart, TrackStart + Length) placed at <see cref="WindowStart"/> in a window.</summary>
public readonly record struct WindowPiece(long TrackStart, int WindowStart, int Length);

/// <summary>
/// What Whisper is given at once: the padded speech regions of a stretch of one track, back to back without the silence
/// between them, at most <see cref="SpeechWindows.Capacity"/> samples (one Whisper window of 30 s). Track samples
/// [Start, End) hold all of it; a window is known by its Start.
/// </summary>
public sealed record SpeechWindow(long Start, long End, IReadOnlyList<WindowPiece> Pieces, float[] Samples)
{
    /// <summary>
    /// Seconds in the track of an instant Whisper gives in seconds of this window. An instant at a junction of two pieces
    /// is the end of the first when it ends a segment and the start of the second when it starts one.
    /// </summary>
    public double TrackSeconds(double windowSeconds, bool isEnd)
    {
        var at = Math.Clamp(windowSeconds * PcmDecoder.SampleRate, 0, Samples.Length);
        var piece = Pieces[0];
        foreach (var p in Pieces)
        {
            if (isEnd ? p.WindowStart < at : p.WindowStart <= at) piece = p;
            else break;
        }
        return (piece.TrackStart + Math.Clamp(at - piece.WindowStart, 0, piece.Length)) / PcmDecoder.SampleRate;
    }
}

/// <summary>
/// Cuts a decoded track into <see cref="SpeechWindow"/>s as it streams in: each 512-sample frame goes through the VAD
/// (<see cref="SileroVad"/>, <see cref="SpeechDetector"/>), each speech region gets <see cref="Padding"/> of the track's own
/// audio either side (so Whisper hears a word's onset and its tail), and regions are packed into windows. Only the audio
/// of the open region and of the window being filled is held, whatever the track's length.
/// </summary>
public static class SpeechWindows
{
    public const int Capacity = 30 * PcmDecoder.SampleRate;
    public static readonly TimeSpan Padding = TimeSpan.FromMilliseconds(300);
    private const int Frame = SileroVad.FrameSamples;
    private const int ReadFrames = 16;

    /// <summary>The speech windows of the stream, in track order.</summary>
    public static IEnumerable<SpeechWindow> Read(PcmDecoder pcm, SileroVad vad, SpeechDetector detector)
    {
        var pad = (int)(Padding.TotalSeconds * PcmDecoder.SampleRate);
        if (Padding > detector.MinSilence) throw new ArgumentException("the padding must not be longer than the silence that ends a region");
        var audio = new TrackBuffer();
        var window = new WindowBuilder();
        long pieceEnd = 0; // where the last piece ended: padding never takes the same audio twice
        var frames = new float[Frame * ReadFrames];
        vad.Reset();

        IEnumerable<SpeechWindow> Place(SpeechRegion region)
        {
            var from = Math.Max(Math.Max(0, region.Start * Frame - pad), pieceEnd);
            var to = Math.Min(region.End * Frame + pad, audio.End);
            if (to <= from) yield break;
            if (window.Length + (to - from) > Capacity && window.Take() is { } full) yield return full;
            window.Add(from, audio.Slice(from, to));
            pieceEnd = to;
        }

        int read;
        do
        {
            read = pcm.Read(frames);
            audio.Append(frames.AsSpan(0, read));
            for (var f = 0; (f + 1) * Frame <= read; f++)
                if (detector.Push(vad.Probability(frames.AsSpan(f * Frame, Frame))) is { } region)
                    foreach (var full in Place(region)) yield return full;
            // A short last read ends the track; the VAD saw its whole frames only (under 32 ms left over).
            var keep = detector.OpenStart is { } open ? open * Frame - pad : audio.End - pad;
            audio.DropBefore(Math.Max(keep, pieceEnd));
        } while (read == frames.Length);

        if (detector.Finish() is { } last)
            foreach (var full in Place(last)) yield return full;
        if (window.Take() is { } rest) yield return rest;
    }

    /// <summary>The whole track in consecutive windows, without VAD: what Whisper was given before (bench/transcription's baseline).</summary>
    internal static IEnumerable<SpeechWindow> Consecutive(PcmDecoder pcm)
    {
        var samples = new float[Capacity];
        int read;
        long at = 0;
        while ((read = pcm.Read(samples)) > 0)
        {
            yield return new SpeechWindow(at, at + read, [new WindowPiece(at, 0, read)], samples[..read]);
            at += read;
        }
    }

    /// <summary>The recent samples of the track, from <see cref="Start"/> to <see cref="End"/> (track sample positions).</summary>
    private sealed class TrackBuffer
    {
        private float[] _samples = new float[Capacity];
        private int _count;
        public long Start { get; private set; }
        public long End => Start + _count;

        public void Append(ReadOnlySpan<float> samples)
        {
            if (_count + samples.Length > _samples.Length) Array.Resize(ref _samples, Math.Max(_samples.Length * 2, _count + samples.Length));
            samples.CopyTo(_samples.AsSpan(_count));
            _count += samples.Length;
        }

        public ReadOnlySpan<float> Slice(long from, long to) => _samples.AsSpan((int)(from - Start), (int)(to - from));

        public void DropBefore(long position)
        {
            var drop = (int)Math.Clamp(position - Start, 0, _count);
            if (drop == 0) return;
            Array.Copy(_samples, drop, _samples, 0, _count - drop);
            _count -= drop;
            Start += drop;
        }
    }

    private sealed class WindowBuilder
    {
        private readonly List<WindowPiece> _pieces = [];
        private readonly float[] _samples = new float[Capacity];
        public int Length { get; private set; }

        public void Add(long trackStart, ReadOnlySpan<float> samples)
        {
            _pieces.Add(new WindowPiece(trackStart, Length, samples.Length));
            samples.CopyTo(_samples.AsSpan(Length));
            Length += samples.Length;
        }

        public SpeechWindow? Take()
        {
            if (_pieces.Count == 0) return null;
            var last = _pieces[^1];
            var window = new SpeechWindow(_pieces[0].TrackStart, last.TrackStart + last.Length, [.. _pieces], _samples[..Length]);
            _pieces.Clear();
            Length = 0;
            return window;
        }
    }
}
