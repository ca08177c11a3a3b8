namespace Voki.Tests.Transcription;

/// <summary>
/// Test audio with known speech: sentences spoken by Debian's espeak-ng (16 kHz mono floats), laid out on a track
/// between stretches of digital silence and of noise, with what each 512-sample frame really is.
/// </summary>
public sealed class SpokenAudio
{
    public const int Rate = 16_000;
    public const int Frame = 512;
    private readonly List<float> _samples = [];
    private readonly List<(int Start, int End, float[] Clean)> _speech = [];
    private readonly Random _random = new(12);

    public float[] Samples => [.. _samples];
    public double Seconds => _samples.Count / (double)Rate;

    /// <summary>Where the spoken sentences are, in samples (each from its first to its last sound).</summary>
    public IReadOnlyList<(int Start, int End)> Utterances => _speech.Select(s => (s.Start, s.End)).ToList();

    /// <summary>A sentence spoken by espeak-ng in <paramref name="voice"/>, over <paramref name="noise"/> of the given level (0: none).</summary>
    public SpokenAudio Say(string text, string voice = "en-us", int wordsPerMinute = 160, double noise = 0)
    {
        var clean = Speak(text, voice, wordsPerMinute);
        var start = _samples.Count;
        _speech.Add((start, start + clean.Length, clean));
        foreach (var s in clean) _samples.Add(s + (float)(noise * Gaussian()));
        return this;
    }

    public SpokenAudio Silence(double seconds)
    {
        _samples.AddRange(new float[(int)(seconds * Rate)]);
        return this;
    }

    /// <summary>White noise of the given standard deviation (0.05 is about −26 dBFS).</summary>
    public SpokenAudio WhiteNoise(double seconds, double level)
    {
        for (var i = 0; i < (int)(seconds * Rate); i++) _samples.Add((float)(level * Gaussian()));
        return this;
    }

    /// <summary>Brown (random-walk, low-pitched) noise: a fan, a road, an air conditioner.</summary>
    public SpokenAudio BrownNoise(double seconds, double level)
    {
        double walk = 0;
        for (var i = 0; i < (int)(seconds * Rate); i++)
        {
            walk = 0.995 * walk + 0.1 * Gaussian();
            _samples.Add((float)(level * walk));
        }
        return this;
    }

    /// <summary>Frames where a sentence is sounding (its clean signal above −40 dBFS): what the VAD must find.</summary>
    public HashSet<long> SpeechFrames()
    {
        var frames = new HashSet<long>();
        foreach (var (start, _, clean) in _speech)
            for (var at = 0; at < clean.Length; at += Frame)
            {
                var part = clean.AsSpan(at, Math.Min(Frame, clean.Length - at));
                double energy = 0;
                foreach (var s in part) energy += s * s;
                if (Math.Sqrt(energy / part.Length) < 0.01) continue; // a pause between words: neither speech nor noise
                frames.Add((start + at) / Frame);
                if ((start + at + part.Length - 1) / Frame != (start + at) / Frame) frames.Add((start + at + part.Length - 1) / Frame);
            }
        return frames;
    }

    /// <summary>Frames with no speech at all in them: silence and noise the VAD must leave out.</summary>
    public HashSet<long> NonSpeechFrames()
    {
        var frames = new HashSet<long>();
        for (long f = 0; f < _samples.Count / Frame; f++)
        {
            var (from, to) = (f * Frame, (f + 1) * Frame);
            if (!_speech.Any(s => s.Start < to && s.End > from)) frames.Add(f);
        }
        return frames;
    }

    private double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());

    /// <summary>espeak-ng's voice, resampled to 16 kHz by FFmpeg, trimmed to its first and last sound.</summary>
    public static float[] Speak(string text, string voice, int wordsPerMinute)
    {
        var dir = TranscriptionFixtures.TempDirectory("espeak");
        try
        {
            var wav = Path.Combine(dir, "spoken.wav");
            var (code, output) = TranscriptionFixtures.Run("espeak-ng", ["-v", voice, "-s", wordsPerMinute.ToString(), "-w", wav, text]);
            Skip.If(code == 127, "espeak-ng is not installed (./voki test installs it)");
            Assert.True(code == 0, $"espeak-ng failed: {output}");
            var raw = Path.Combine(dir, "spoken.f32");
            TranscriptionFixtures.Ffmpeg("-i", wav, "-ac", "1", "-ar", Rate.ToString(), "-f", "f32le", raw);
            var bytes = File.ReadAllBytes(raw);
            var samples = new float[bytes.Length / sizeof(float)];
            Buffer.BlockCopy(bytes, 0, samples, 0, samples.Length * sizeof(float));
            var first = Array.FindIndex(samples, s => Math.Abs(s) > 0.01f);
            var last = Array.FindLastIndex(samples, s => Math.Abs(s) > 0.01f);
            Assert.True(first >= 0, $"espeak-ng said nothing for \"{text}\"");
            return samples[first..(last + 1)];
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
