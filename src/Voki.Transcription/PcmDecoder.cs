using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Voki.Media.Recording;

namespace Voki.Transcription;

/// <summary>
/// Decodes a captured audio file to what Whisper and the VAD take: 16 kHz mono float samples, with FFmpeg, read as a
/// stream from its pipe (an hour-long track is never held whole: FFmpeg waits while the reader is busy). Gaps in the
/// capture (the granule positions jump where packets were missing) become silence, so sample times stay track times.
/// No more than the track's placed length (<see cref="Voki.Media.Recording.CaptureReader"/> clamps it to the call) is
/// decoded: a sender's timestamp jump in the file cannot become hours of silence to transcribe.
/// </summary>
public sealed class PcmDecoder : IDisposable
{
    public const int SampleRate = 16_000;
    private const int MaxSamples = int.MaxValue / sizeof(float) - SampleRate; // about 9 hours

    private readonly Process _process;
    private readonly string _file;
    private readonly Stream _output;
    private readonly Task<string> _errors;
    private readonly CancellationTokenRegistration _kill;
    private readonly CancellationToken _cancellation;

    /// <summary>Samples read so far.</summary>
    public long SamplesRead { get; private set; }

    private PcmDecoder(Process process, string file, CancellationToken cancellation)
    {
        _process = process;
        _file = file;
        _cancellation = cancellation;
        _output = process.StandardOutput.BaseStream;
        _errors = ReadErrorsAsync(process.StandardError);
        _kill = cancellation.Register(() => Kill(process));
    }

    /// <summary>Starts FFmpeg on <paramref name="file"/> (below live media in priority); read the samples with <see cref="Read"/>.</summary>
    public static PcmDecoder Start(string ffmpeg, string file, double expectedSeconds, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-nostdin", "-hide_banner", "-loglevel", "error", "-i", file, "-map", "0:a:0",
                     "-af", "aresample=async=1", "-t", Seconds(expectedSeconds + 1), "-ac", "1", "-ar", SampleRate.ToString(), "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1"])
            start.ArgumentList.Add(argument);

        var process = new Process { StartInfo = start };
        // Below live media, as the Whisper threads it feeds (WhisperCallTranscriber).
        try { BelowNormalPriority.Run(process.Start); }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new InvalidOperationException($"FFmpeg could not be started ({ffmpeg}: {e.Message}); install it (Debian: apt-get install ffmpeg) or set Transcription:FfmpegPath");
        }
        process.StandardInput.Close();
        return new PcmDecoder(process, file, cancellation);
    }

    /// <summary>
    /// Fills <paramref name="samples"/> with the next samples, blocking until it is full or the track ends; returns how
    /// many it got (fewer only at the end). At the end FFmpeg's outcome is checked: a file it could not decode throws.
    /// </summary>
    public int Read(Span<float> samples)
    {
        var bytes = MemoryMarshal.AsBytes(samples);
        var filled = 0;
        while (filled < bytes.Length)
        {
            var read = _output.Read(bytes[filled..]);
            if (read == 0) break;
            filled += read;
        }
        var whole = filled / sizeof(float);
        if (filled < bytes.Length) Finish();
        if (SamplesRead + whole > MaxSamples) throw new InvalidDataException($"{Path.GetFileName(_file)} is longer than {MaxSamples / SampleRate / 3600} hours");
        SamplesRead += whole;
        return whole;
    }

    private void Finish()
    {
        _process.WaitForExit();
        var error = _errors.GetAwaiter().GetResult();
        _cancellation.ThrowIfCancellationRequested();
        if (_process.ExitCode != 0)
            throw new InvalidDataException($"FFmpeg could not decode {Path.GetFileName(_file)} (exit {_process.ExitCode}): {LastLine(error).Replace(_file, Path.GetFileName(_file))}");
    }

    /// <summary>The whole track at once: for short audio and checks (a transcription reads the stream).</summary>
    public static async Task<float[]> DecodeAsync(string ffmpeg, string file, double expectedSeconds, CancellationToken cancellation)
    {
        using var decoder = Start(ffmpeg, file, expectedSeconds, cancellation);
        return await Task.Run(() =>
        {
            var samples = new List<float>((int)Math.Clamp((expectedSeconds + 1) * SampleRate, SampleRate, MaxSamples));
            var chunk = new float[SampleRate];
            int read;
            while ((read = decoder.Read(chunk)) > 0) samples.AddRange(chunk.AsSpan(0, read));
            return samples.ToArray();
        }, cancellation);
    }

    public void Dispose()
    {
        _kill.Dispose();
        Kill(_process);
        _process.Dispose();
    }

    private static string Seconds(double seconds) =>
        Math.Clamp(seconds, 1, MaxSamples / (double)SampleRate).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    private static void Kill(Process process)
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
    }

    private static async Task<string> ReadErrorsAsync(StreamReader errors)
    {
        var text = new StringBuilder();
        var buffer = new char[4096];
        int read;
        while ((read = await errors.ReadAsync(buffer)) > 0)
            if (text.Length < 16_384) text.Append(buffer, 0, read);
        return text.ToString();
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no message";
}
