using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Voki.Media.Recording;

/// <summary>
/// Runs FFmpeg or ffprobe with an argument list (no shell), stdin closed, stdout and stderr drained as they come
/// (only a bounded tail of stderr is kept). Cancelling, or running past the timeout, kills the process.
/// </summary>
public sealed partial class FfmpegProcess
{
    private const int TailLines = 60;

    public required int ExitCode { get; init; }

    /// <summary>The last lines FFmpeg wrote on stderr.</summary>
    public required IReadOnlyList<string> StderrTail { get; init; }

    /// <summary>The last lines FFmpeg logged at error level or worse (with -loglevel level+...).</summary>
    public required IReadOnlyList<string> Errors { get; init; }

    /// <summary>User + system CPU, from FFmpeg's -benchmark report.</summary>
    public TimeSpan? CpuTime { get; init; }

    /// <summary>Peak resident memory, from FFmpeg's -benchmark report.</summary>
    public long? PeakMemoryBytes { get; init; }

    public required string Stdout { get; init; }

    /// <summary>The failure in a few lines: the errors FFmpeg logged, or else the end of its stderr.</summary>
    public string Reason => string.Join("\n", (Errors.Count > 0 ? Errors : StderrTail.TakeLast(12)).TakeLast(12));

    /// <summary>
    /// Runs <paramref name="executable"/>, with every thread of it below normal priority when <paramref name="lowPriority"/>
    /// (<see cref="BelowNormalPriority"/>); throws <see cref="TimeoutException"/> past <paramref name="timeout"/>,
    /// <see cref="OperationCanceledException"/> when cancelled, <see cref="CompositionException"/> when it cannot start.
    /// </summary>
    public static async Task<FfmpegProcess> RunAsync(string executable, IReadOnlyList<string> arguments, TimeSpan timeout,
        Action<string>? onStdoutLine, bool lowPriority, CancellationToken ct)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            UseShellExecute = false, CreateNoWindow = true,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);

        using var process = new Process { StartInfo = start };
        try { _ = lowPriority ? BelowNormalPriority.Run(process.Start) : process.Start(); }
        catch (Win32Exception e) { throw new CompositionException($"cannot run {executable}: {e.Message} (install the Debian package ffmpeg)", e); }
        process.StandardInput.Close();

        var tail = new Queue<string>();
        var errors = new Queue<string>();
        TimeSpan? cpu = null;
        long? rss = null;
        var stdout = new System.Text.StringBuilder();
        var readErr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(CancellationToken.None) is { } line)
            {
                if (BenchLine().Match(line) is { Success: true } m)
                    cpu = TimeSpan.FromSeconds(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
                if (MaxRssLine().Match(line) is { Success: true } r) rss = long.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture) * 1024;
                Push(tail, line, TailLines);
                if (line.Contains("[error]") || line.Contains("[fatal]") || line.Contains("[panic]")) Push(errors, line, 20);
            }
        }, CancellationToken.None);
        var readOut = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync(CancellationToken.None) is { } line)
            {
                if (stdout.Length < 1 << 20) stdout.AppendLine(line);
                onStdoutLine?.Invoke(line);
            }
        }, CancellationToken.None);

        using var timer = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await process.WaitForExitAsync(grace.Token); } catch (OperationCanceledException) { }
            ct.ThrowIfCancellationRequested();
            throw new TimeoutException($"{Path.GetFileName(executable)} ran past {timeout.TotalSeconds:0} s and was stopped");
        }
        await Task.WhenAll(readErr, readOut);
        return new FfmpegProcess
        {
            ExitCode = process.ExitCode, StderrTail = tail.ToList(), Errors = errors.ToList(), CpuTime = cpu, PeakMemoryBytes = rss, Stdout = stdout.ToString(),
        };
    }

    private static void Push(Queue<string> queue, string line, int max)
    {
        lock (queue)
        {
            queue.Enqueue(line.Length > 500 ? line[..500] + "…" : line);
            while (queue.Count > max) queue.Dequeue();
        }
    }

    [GeneratedRegex(@"bench: utime=([0-9.]+)s stime=([0-9.]+)s")]
    private static partial Regex BenchLine();

    [GeneratedRegex(@"bench: maxrss=([0-9]+)kB")]
    private static partial Regex MaxRssLine();
}
