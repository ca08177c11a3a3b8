using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Voki.Media.Recording;

namespace Voki.Transcription;

/// <summary>
/// Decodes a captured audio file to what Whisper takes: 16 kHz mono float samples, with FFmpeg. Gaps in the capture
/// (the granule positions jump where packets were missing) become silence, so sample times stay track times. No more
/// than the track's placed length (<see cref="Voki.Media.Recording.CaptureReader"/> clamps it to the call) is decoded:
/// a sender's timestamp jump in the file cannot become hours of silence to transcribe.
/// </summary>
public static class PcmDecoder
{
    public const int SampleRate = 16_000;
    private const int MaxSamples = int.MaxValue / sizeof(float) - SampleRate; // about 9 hours

    public static async Task<float[]> DecodeAsync(string ffmpeg, string file, double expectedSeconds, CancellationToken cancellation)
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

        using var process = new Process { StartInfo = start };
        // Below live media, as the Whisper threads it feeds (WhisperCallTranscriber).
        try { BelowNormalPriority.Run(process.Start); }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"FFmpeg could not be started ({ffmpeg}: {e.Message}); install it (Debian: apt-get install ffmpeg) or set Transcription:FfmpegPath");
        }
        process.StandardInput.Close();
        await using var kill = cancellation.Register(() => Kill(process));
        var errors = ReadErrorsAsync(process.StandardError);
        try { return await ReadSamplesAsync(process, file, expectedSeconds, errors, cancellation); }
        finally { Kill(process); }
    }

    private static async Task<float[]> ReadSamplesAsync(Process process, string file, double expectedSeconds, Task<string> errors, CancellationToken cancellation)
    {

        // Read straight into the sample array (64 kB per second of audio), sized from the expected length.
        var samples = new float[(int)Math.Clamp((expectedSeconds + 1) * SampleRate, SampleRate, MaxSamples)];
        var chunk = new byte[1 << 16];
        long bytes = 0;
        int read;
        while ((read = await process.StandardOutput.BaseStream.ReadAsync(chunk, cancellation)) > 0)
        {
            if (bytes + read > (long)samples.Length * sizeof(float))
            {
                if (samples.Length >= MaxSamples) throw new InvalidDataException($"{Path.GetFileName(file)} is longer than {MaxSamples / SampleRate / 3600} hours");
                Array.Resize(ref samples, (int)Math.Min((long)samples.Length * 2, MaxSamples));
            }
            Buffer.BlockCopy(chunk, 0, samples, (int)bytes, read);
            bytes += read;
        }
        await process.WaitForExitAsync(cancellation);
        var error = await errors;
        cancellation.ThrowIfCancellationRequested();
        if (process.ExitCode != 0)
            throw new InvalidDataException($"FFmpeg could not decode {Path.GetFileName(file)} (exit {process.ExitCode}): {LastLine(error).Replace(file, Path.GetFileName(file))}");
        Array.Resize(ref samples, (int)(bytes / sizeof(float)));
        return samples;
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
