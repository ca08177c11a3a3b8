using System.Diagnostics;
using System.Globalization;

namespace Voki.Media.Recording;

/// <summary>
/// Composes a call's capture into one WebM recording: VP8 video of every participant in a grid that follows who is
/// present (a participant without video shows as a tile with their name), Opus audio mixing everyone, in sync.
/// Reads the capture (<see cref="CaptureReader"/>), plans the scenes (<see cref="CompositionPlan"/>), fits each video
/// track's frames to the output frames (<see cref="RetimedVideo"/>), runs one FFmpeg command (<see cref="FfmpegCommand"/>)
/// and checks the result with ffprobe.
/// </summary>
public static class CallComposer
{
    /// <summary>
    /// Writes the recording of the capture in <paramref name="captureDirectory"/> to <paramref name="outputPath"/>
    /// (written aside and moved into place when complete, replacing any file there). Throws
    /// <see cref="CompositionException"/> with the reason when it cannot, <see cref="OperationCanceledException"/> when
    /// cancelled (FFmpeg is stopped and nothing is left behind).
    /// </summary>
    public static async Task<CompositionResult> ComposeAsync(string captureDirectory, string outputPath, CompositionOptions? options = null, CancellationToken ct = default)
    {
        options ??= new CompositionOptions();
        options.Validate();
        var clock = Stopwatch.StartNew();

        CaptureModel capture;
        try { capture = CaptureReader.Read(captureDirectory); }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new CompositionException($"cannot read the capture in {captureDirectory}: {e.Message}", e);
        }
        var plan = CompositionPlan.Build(capture, options);
        if (plan.FrameCount < 1 || plan.Scenes.Count == 0)
            throw new CompositionException($"the capture in {captureDirectory} lasts {capture.DurationMs} ms: nothing to compose");
        string font = options.ResolveFont()
            ?? throw new CompositionException($"no font to draw names with: install the Debian package fonts-dejavu-core or set {nameof(CompositionOptions)}.{nameof(CompositionOptions.FontFile)}");

        string output = Path.GetFullPath(outputPath);
        string partial = output + ".part";
        var retimedFiles = new List<string>();
        var work = options.TemporaryDirectory is { } tmp
            ? Directory.CreateDirectory(Path.Combine(tmp, "voki-compose-" + Guid.NewGuid().ToString("N")))
            : Directory.CreateTempSubdirectory("voki-compose-");
        try
        {
            string script = Path.Combine(work.FullName, "graph.txt");
            var videoFiles = new Dictionary<CapturedTrack, string>();
            foreach (var track in plan.VideoTracks)
            {
                // Beside the output, on the recordings' disk (a long call's video is too large for a temporary directory in memory).
                string retimed = $"{partial}.video-{videoFiles.Count}.ivf";
                retimedFiles.Add(retimed);
                try { RetimedVideo.Write(track, plan.FrameRate, retimed); }
                catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
                {
                    throw new CompositionException($"cannot prepare the video track {Path.GetFileName(track.FilePath)}: {e.Message}", e);
                }
                videoFiles[track] = retimed;
            }
            var command = FfmpegCommand.Build(plan, options, font, work.FullName, script, partial, videoFiles);
            await File.WriteAllTextAsync(script, command.FilterGraph, ct);
            foreach (var (path, text) in command.TextFiles) await File.WriteAllTextAsync(path, text, ct);

            double seconds = plan.FrameCount / (double)plan.FrameRate;
            var timeout = options.TimeLimit(seconds);
            Action<string>? progress = options.Progress is { } report
                ? line =>
                {
                    if (line.StartsWith("out_time_us=", StringComparison.Ordinal) && long.TryParse(line.AsSpan(12), NumberStyles.Integer, CultureInfo.InvariantCulture, out var us) && us >= 0)
                        report.Report(Math.Clamp(us / 1e6 / seconds, 0, 1));
                }
                : null;

            FfmpegProcess run;
            try { run = await FfmpegProcess.RunAsync(options.FfmpegPath, command.Arguments, timeout, progress, options.LowPriority, ct); }
            catch (TimeoutException e) { throw new CompositionException($"ffmpeg: {e.Message}", e) { TimedOut = true }; }
            if (run.ExitCode != 0)
                throw new CompositionException($"ffmpeg failed (exit status {run.ExitCode}):\n{run.Reason}") { ExitCode = run.ExitCode };

            var duration = await ProbeDurationAsync(options, partial, ct);
            File.Move(partial, output, overwrite: true);
            return new CompositionResult
            {
                DurationSeconds = (int)Math.Round(duration.TotalSeconds, MidpointRounding.AwayFromZero),
                Duration = duration,
                FileSizeBytes = new FileInfo(output).Length,
                CpuTime = run.CpuTime,
                PeakMemoryBytes = run.PeakMemoryBytes,
                Elapsed = clock.Elapsed,
                Participants = capture.Participants.Count,
                Warnings = capture.Warnings,
            };
        }
        finally
        {
            // What is left aside never hides why the composition failed.
            foreach (var aside in retimedFiles.Prepend(partial))
                try { File.Delete(aside); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            try { work.Delete(recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private static async Task<TimeSpan> ProbeDurationAsync(CompositionOptions options, string file, CancellationToken ct)
    {
        FfmpegProcess probe;
        try
        {
            probe = await FfmpegProcess.RunAsync(options.FfprobePath,
                ["-v", "error", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", file],
                TimeSpan.FromMinutes(1), null, false, ct);
        }
        catch (TimeoutException e) { throw new CompositionException($"ffprobe: {e.Message}", e) { TimedOut = true }; }
        if (probe.ExitCode != 0 || !double.TryParse(probe.Stdout.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            throw new CompositionException($"ffprobe cannot read the recording (exit status {probe.ExitCode}):\n{probe.Reason}{probe.Stdout}") { ExitCode = probe.ExitCode };
        return TimeSpan.FromSeconds(seconds);
    }
}
