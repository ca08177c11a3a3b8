using System.Globalization;
using System.Text.Json;
using Voki.Media.Recording;

namespace Voki.Tests.Recording;

/// <summary>Reads back a recording with ffprobe and FFmpeg: streams, frames as pixels, audio as samples.</summary>
public static class MediaProbe
{
    public sealed record Info(string FormatName, double Duration, IReadOnlyList<(string Type, string Codec, int Width, int Height, double StartTime)> Streams);

    public static async Task<Info> InfoAsync(string file)
    {
        var run = await FfmpegProcess.RunAsync("ffprobe", ["-v", "error", "-show_format", "-show_streams", "-of", "json", file], TimeSpan.FromMinutes(1), null, false, default);
        Assert.True(run.ExitCode == 0, run.Reason);
        using var json = JsonDocument.Parse(run.Stdout);
        var format = json.RootElement.GetProperty("format");
        var streams = json.RootElement.GetProperty("streams").EnumerateArray().Select(s => (
            s.GetProperty("codec_type").GetString()!, s.GetProperty("codec_name").GetString()!,
            s.TryGetProperty("width", out var w) ? w.GetInt32() : 0, s.TryGetProperty("height", out var h) ? h.GetInt32() : 0,
            s.TryGetProperty("start_time", out var st) ? double.Parse(st.GetString()!, CultureInfo.InvariantCulture) : 0)).ToList();
        return new Info(format.GetProperty("format_name").GetString()!, double.Parse(format.GetProperty("duration").GetString()!, CultureInfo.InvariantCulture), streams);
    }

    /// <summary>Every frame of the file's video as RGB24, in order (the recording is constant frame rate from t = 0).</summary>
    /// <summary>How many video frames the file holds, decoded by ffprobe: for files whose frames would not fit in memory at full size.</summary>
    public static async Task<int> FrameCountAsync(string file)
    {
        var run = await FfmpegProcess.RunAsync("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", file], TimeSpan.FromMinutes(1), null, false, default);
        Assert.True(run.ExitCode == 0, run.Reason);
        return int.Parse(run.Stdout.Trim(), CultureInfo.InvariantCulture);
    }

    public static async Task<List<byte[]>> FramesAsync(string file, int width, int height)
    {
        var path = Path.Combine(Path.GetDirectoryName(file)!, Path.GetFileNameWithoutExtension(file) + ".rgb");
        var run = await FfmpegProcess.RunAsync("ffmpeg", ["-v", "error", "-nostdin", "-i", file, "-map", "0:v", "-fps_mode", "passthrough", "-pix_fmt", "rgb24", "-f", "rawvideo", "-y", path], TimeSpan.FromMinutes(1), null, false, default);
        Assert.True(run.ExitCode == 0, run.Reason);
        var bytes = await File.ReadAllBytesAsync(path);
        File.Delete(path);
        int size = width * height * 3;
        return Enumerable.Range(0, bytes.Length / size).Select(i => bytes.AsSpan(i * size, size).ToArray()).ToList();
    }

    /// <summary>The mean colour of a region of an RGB24 frame.</summary>
    public static (double R, double G, double B) Mean(byte[] frame, int width, Rect region)
    {
        double r = 0, g = 0, b = 0;
        for (int y = region.Y; y < region.Bottom; y++)
            for (int x = region.X; x < region.Right; x++)
            {
                int i = (y * width + x) * 3;
                r += frame[i]; g += frame[i + 1]; b += frame[i + 2];
            }
        double n = region.Width * region.Height;
        return (r / n, g / n, b / n);
    }

    public static double Luma((double R, double G, double B) c) => 0.299 * c.R + 0.587 * c.G + 0.114 * c.B;

    public static int MaxLuma(byte[] frame, int width, Rect region)
    {
        int max = 0;
        for (int y = region.Y; y < region.Bottom; y++)
            for (int x = region.X; x < region.Right; x++)
            {
                int i = (y * width + x) * 3;
                max = Math.Max(max, (int)Luma((frame[i], frame[i + 1], frame[i + 2])));
            }
        return max;
    }

    /// <summary>The file's audio, decoded to mono float at 48 kHz from t = 0.</summary>
    public static async Task<float[]> AudioAsync(string file)
    {
        var path = Path.Combine(Path.GetDirectoryName(file)!, Path.GetFileNameWithoutExtension(file) + ".f32");
        var run = await FfmpegProcess.RunAsync("ffmpeg", ["-v", "error", "-nostdin", "-i", file, "-map", "0:a", "-ac", "1", "-ar", "48000", "-f", "f32le", "-y", path], TimeSpan.FromMinutes(1), null, false, default);
        Assert.True(run.ExitCode == 0, run.Reason);
        var bytes = await File.ReadAllBytesAsync(path);
        File.Delete(path);
        var samples = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, samples, 0, samples.Length * 4);
        return samples;
    }

    /// <summary>RMS of the samples in [from, to) seconds.</summary>
    public static double Rms(float[] samples, double from, double to)
    {
        int a = Math.Max(0, (int)(from * 48000)), b = Math.Min(samples.Length, (int)(to * 48000));
        double sum = 0;
        for (int i = a; i < b; i++) sum += samples[i] * samples[i];
        return b > a ? Math.Sqrt(sum / (b - a)) : 0;
    }

    /// <summary>Times (s) where the level, in 2 ms windows, rises above <paramref name="threshold"/> after 300 ms below it.</summary>
    public static List<double> Onsets(float[] samples, double threshold)
    {
        const int window = 96;
        var onsets = new List<double>();
        double lastLoud = double.NegativeInfinity;
        for (int start = 0; start + window <= samples.Length; start += window)
        {
            double t = start / 48000.0;
            if (Rms(samples, t, t + window / 48000.0) < threshold) continue;
            if (t - lastLoud > 0.3) onsets.Add(t);
            lastLoud = t;
        }
        return onsets;
    }
}
