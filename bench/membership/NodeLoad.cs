using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Voki.Grains.Grains;
using Voki.Media.Recording;
using Voki.Transcription;

namespace Voki.Bench.Membership;

/// <summary>
/// The heavy work a node does, all of it at once and without pause: compositions (CallComposer: FFmpeg encoding VP8,
/// at the priority the node gives them), a Whisper transcription (in this process, at normal priority, as the node
/// runs it), and a flood of logins (PBKDF2-SHA256, 210,000 iterations, in the node itself).
/// </summary>
public sealed class NodeLoad
{
    public required string CaptureDirectory { get; init; }
    public required string OutputDirectory { get; init; }
    public required int Compositions { get; init; }
    public required bool CompositionsLowPriority { get; init; }
    public required string? WhisperModel { get; init; }
    public required string? SpeechCapture { get; init; }
    public required int LoginConcurrency { get; init; }
    public required string Tenant { get; init; }
    public required IReadOnlyList<string> Emails { get; init; }
    public required string Password { get; init; }

    private int _composed, _transcribed, _loggedIn, _loginFailed;
    private readonly ConcurrentQueue<double> _loginMs = new();

    public int Composed => _composed;
    public int Transcribed => _transcribed;
    public int LoggedIn => _loggedIn;
    public int LoginFailed => _loginFailed;

    public double LoginPercentileMs(double p)
    {
        var sorted = _loginMs.OrderBy(x => x).ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }

    public Task RunAsync(NodeSlot slot, CancellationToken ct)
    {
        var work = new List<Task>();
        for (var i = 0; i < Compositions; i++)
        {
            var output = Path.Combine(OutputDirectory, $"{slot.Name}-{i}.webm");
            work.Add(Task.Run(() => Compose(output, ct)));
        }
        if (WhisperModel is not null && SpeechCapture is not null) work.Add(Task.Run(() => Transcribe(ct)));
        for (var i = 0; i < LoginConcurrency; i++)
        {
            var first = i;
            work.Add(Task.Run(() => Login(slot, first, ct)));
        }
        return Task.WhenAll(work);
    }

    private async Task Compose(string output, CancellationToken ct)
    {
        var options = new CompositionOptions { LowPriority = CompositionsLowPriority };
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await CallComposer.ComposeAsync(CaptureDirectory, output, options, ct);
                Interlocked.Increment(ref _composed);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                Console.Error.WriteLine($"composition failed: {e.Message}");
                await Pause(ct);
            }
        }
    }

    private async Task Transcribe(CancellationToken ct)
    {
        var transcriber = new WhisperCallTranscriber(new TranscriptionOptions
        {
            ModelPath = WhisperModel!,
            TemperatureFallback = false,
            MinimumTimeout = TimeSpan.FromHours(1),
        }, NullLogger<WhisperCallTranscriber>.Instance);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await transcriber.TranscribeAsync(SpeechCapture!, "en-US", _ => { }, ct);
                Interlocked.Increment(ref _transcribed);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                Console.Error.WriteLine($"transcription failed: {e.Message}");
                await Pause(ct);
            }
        }
    }

    private async Task Login(NodeSlot slot, int first, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        for (var n = first; !ct.IsCancellationRequested; n++)
        {
            var node = slot.Node;
            if (node is null || node.HasExited)
            {
                await Pause(ct);
                continue;
            }
            var clock = Stopwatch.StartNew();
            try
            {
                using var response = await http.PostAsJsonAsync(new Uri(node.BaseAddress, "/api/auth/login"),
                    new { email = Emails[n % Emails.Count], password = Password, tenant = Tenant }, ct);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _loggedIn);
                    _loginMs.Enqueue(clock.Elapsed.TotalMilliseconds);
                }
                else
                {
                    Interlocked.Increment(ref _loginFailed);
                    await Pause(ct);
                }
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                Interlocked.Increment(ref _loginFailed);
                await Pause(ct);
            }
            catch (Exception) { }
        }
    }

    private static async Task Pause(CancellationToken ct)
    {
        try { await Task.Delay(200, ct); } catch (OperationCanceledException) { }
    }
}
