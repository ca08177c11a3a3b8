using System.Globalization;
using System.Text.Json;
using Voki.Media.Recording;

namespace Voki.Tests.Impairment;

/// <summary>How much of one participant's moving picture made it into the composed recording over a stretch of the call.</summary>
public sealed record TileMotion(string ParticipantId, double Seconds, int DistinctPictures, double FrozenSeconds, int LongestStillMs)
{
    public double PicturesPerSecond => DistinctPictures / Seconds;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{ParticipantId}: {PicturesPerSecond:F1} distinct pictures/s, frozen {FrozenSeconds:F2} s of {Seconds:F0} s (longest still {LongestStillMs} ms)");
}

/// <summary>
/// Reads a composed recording back tile by tile: FFmpeg crops each participant's tile (where <see cref="LayoutEngine"/>
/// put it, from the call's capture), scales it down to grey pixels, and each frame whose content changed from the
/// previous one counts as a new picture. A picture still for longer than a freeze (Chromium's rule at 30 fps:
/// max(3 frame intervals, one + 150 ms) ≈ 183 ms) counts all its time as frozen, as the browsers' totalFreezesDuration does.
/// </summary>
public static class RecordedMotion
{
    private const int SampleWidth = 160, SampleHeight = 120;

    /// <summary>A pixel changed when its grey level moved by more than this: the composer's re-encoding of a still picture stays below it.</summary>
    public const int PixelThreshold = 24;

    /// <summary>A frame is a new picture when at least this share of the tile's pixels changed.</summary>
    public const double ChangedShare = 0.002;

    public const double FreezeSeconds = 0.183;

    /// <summary>
    /// The motion of every tile of <paramref name="webm"/> between the capture-clock instants <paramref name="fromUnixMs"/> and
    /// <paramref name="toUnixMs"/> (the recording's timeline starts at the capture's first join).
    /// </summary>
    public static async Task<IReadOnlyList<TileMotion>> Measure(string webm, string captureDirectory, long fromUnixMs, long toUnixMs)
    {
        var capture = CaptureReader.Read(captureDirectory);
        var (width, height, fps) = await Probe(webm);
        long from = fromUnixMs - capture.OriginUnixMs, to = toUnixMs - capture.OriginUnixMs;
        var segment = LayoutEngine.Plan(capture.Participants, capture.DurationMs, width, height)
            .Where(s => s.StartMs <= from && s.EndMs >= to).SingleOrDefault()
            ?? throw new InvalidOperationException($"the tiles change within [{from}, {to}) ms of the recording: measure a stretch when nobody joins or leaves");
        var tiles = new List<TileMotion>();
        foreach (var tile in segment.Tiles)
        {
            var frames = await Frames(webm, Inset(tile.Area), from / 1000.0, (to - from) / 1000.0);
            tiles.Add(Motion(tile.ParticipantId, frames, fps, (to - from) / 1000.0));
        }
        return tiles;
    }

    /// <summary>Counts new pictures among <paramref name="frames"/> (grey, equal size, at <paramref name="fps"/>) and the time they stood still.</summary>
    public static TileMotion Motion(string participantId, IReadOnlyList<byte[]> frames, double fps, double seconds)
    {
        var changes = new List<int>();
        for (int i = 1; i < frames.Count; i++)
            if (Changed(frames[i - 1], frames[i])) changes.Add(i);
        double frozen = 0, longest = 0;
        void Still(double duration)
        {
            longest = Math.Max(longest, duration);
            if (duration > FreezeSeconds) frozen += duration;
        }
        int previous = 0;
        foreach (var change in changes)
        {
            Still((change - previous) / fps);
            previous = change;
        }
        Still((frames.Count - previous) / fps);
        return new TileMotion(participantId, seconds, changes.Count, frozen, (int)Math.Round(longest * 1000));
    }

    private static bool Changed(byte[] a, byte[] b)
    {
        int changed = 0, enough = (int)Math.Ceiling(a.Length * ChangedShare);
        for (int i = 0; i < a.Length; i++)
            if (Math.Abs(a[i] - b[i]) > PixelThreshold && ++changed >= enough) return true;
        return false;
    }

    /// <summary>The tile without its edges, where a name caption or the letterbox meets the neighbour.</summary>
    private static Rect Inset(Rect area)
    {
        int dx = area.Width / 20 & ~1, dy = area.Height / 20 & ~1;
        return new Rect(area.X + dx, area.Y + dy, area.Width - 2 * dx, area.Height - 2 * dy);
    }

    private static async Task<List<byte[]>> Frames(string webm, Rect crop, double startSeconds, double seconds)
    {
        var raw = Path.Combine(Path.GetTempPath(), $"voki-motion-{Guid.NewGuid():N}.gray");
        try
        {
            var run = await FfmpegProcess.RunAsync("ffmpeg",
            [
                "-v", "error", "-nostdin", "-i", webm, "-map", "0:v",
                "-ss", startSeconds.ToString("F3", CultureInfo.InvariantCulture), "-t", seconds.ToString("F3", CultureInfo.InvariantCulture),
                "-fps_mode", "passthrough",
                "-vf", $"crop={crop.Width}:{crop.Height}:{crop.X}:{crop.Y},scale={SampleWidth}:{SampleHeight},format=gray",
                "-f", "rawvideo", "-y", raw,
            ], TimeSpan.FromMinutes(2), null, false, default);
            if (run.ExitCode != 0) throw new InvalidOperationException($"ffmpeg could not read {webm}: {run.Reason}");
            var bytes = await File.ReadAllBytesAsync(raw);
            const int size = SampleWidth * SampleHeight;
            return Enumerable.Range(0, bytes.Length / size).Select(i => bytes.AsSpan(i * size, size).ToArray()).ToList();
        }
        finally
        {
            File.Delete(raw);
        }
    }

    private static async Task<(int Width, int Height, double Fps)> Probe(string webm)
    {
        var run = await FfmpegProcess.RunAsync("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,r_frame_rate", "-of", "json", webm],
            TimeSpan.FromMinutes(1), null, false, default);
        if (run.ExitCode != 0) throw new InvalidOperationException($"ffprobe could not read {webm}: {run.Reason}");
        var stream = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("streams")[0];
        var rate = stream.GetProperty("r_frame_rate").GetString()!.Split('/');
        return (stream.GetProperty("width").GetInt32(), stream.GetProperty("height").GetInt32(),
            double.Parse(rate[0], CultureInfo.InvariantCulture) / double.Parse(rate[1], CultureInfo.InvariantCulture));
    }
}
