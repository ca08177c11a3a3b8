using System.Globalization;
using System.Text.RegularExpressions;
using Voki.Media.Recording;

namespace Voki.Bench.Recording;

/// <summary>
/// How close each picture of a composed recording is to the frames its participant sent: the picture's rectangle is
/// cropped out of the recording and compared (FFmpeg's ssim filter) with the track's own frames, placed on the
/// recording's timeline and scaled to the picture exactly as the composer does, over the longest scene (its first
/// and last half second left out). Both sides carry the composer's timestamps and FFmpeg pairs them as the overlay
/// did (each recorded frame with the latest source frame at or before it), so what is measured is the composition's
/// loss, not a timing offset: one frame off drops the default's 0.954 to 0.872 (docs/benchmarks.md).
/// </summary>
public static partial class TileSimilarity
{
    public sealed record Tile(string Participant, Rect Picture, double Ssim, double SsimY, int Frames);

    public static async Task<IReadOnlyList<Tile>> MeasureAsync(string recording, CompositionPlan plan)
    {
        var scene = plan.Scenes.MaxBy(s => s.FrameCount)!;
        double from = scene.StartFrame / (double)plan.FrameRate + 0.5, to = scene.EndFrame / (double)plan.FrameRate - 0.5;
        var tiles = new List<Tile>();
        foreach (var tile in scene.Tiles.Where(t => t.Video is not null))
        {
            var track = tile.Video!;
            var p = tile.Picture;
            string scale = Math.Abs(track.ClockScale - 1) < 1e-7 ? "" : "*" + track.ClockScale.ToString("0.#########", CultureInfo.InvariantCulture);
            string graph = FormattableString.Invariant(
                $"[0:v]trim=start={from}:end={to},crop={p.Width}:{p.Height}:{p.X}:{p.Y},setsar=1[recorded];[1:v]setpts=PTS{scale}{(track.StartMs < 0 ? "-" : "+")}{Math.Abs(track.StartMs) / 1000.0}/TB,scale={p.Width}:{p.Height},setsar=1,trim=start={from}:end={to}[sent];[recorded][sent]ssim=shortest=1");
            var run = await FfmpegProcess.RunAsync("ffmpeg",
                ["-hide_banner", "-nostdin", "-copyts", "-i", recording, "-f", "ivf", "-i", track.FilePath, "-lavfi", graph, "-f", "null", "-"],
                TimeSpan.FromMinutes(10), null, false, CancellationToken.None);
            var summary = run.StderrTail.Select(l => SsimLine().Match(l)).LastOrDefault(m => m.Success)
                ?? throw new InvalidOperationException($"no SSIM for {tile.ParticipantId}: {run.Reason}");
            var frames = run.StderrTail.Select(l => FrameLine().Match(l)).LastOrDefault(m => m.Success);
            tiles.Add(new Tile(tile.ParticipantId, p, double.Parse(summary.Groups["all"].Value, CultureInfo.InvariantCulture),
                double.Parse(summary.Groups["y"].Value, CultureInfo.InvariantCulture),
                frames is null ? 0 : int.Parse(frames.Groups[1].Value, CultureInfo.InvariantCulture)));
        }
        return tiles;
    }

    [GeneratedRegex(@"SSIM Y:(?<y>[0-9.]+) .* All:(?<all>[0-9.]+)")]
    private static partial Regex SsimLine();

    [GeneratedRegex(@"frame=\s*([0-9]+)")]
    private static partial Regex FrameLine();
}
