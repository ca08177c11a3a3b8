using System.Diagnostics;
using System.Text.Json;
using Voki.Tests.Browser;

namespace Voki.Tests.Impairment;

/// <summary>
/// node tests/browser-js/firefox-publisher.mjs: Firefox ESR as a customer on /call/{token} publishing a moving
/// picture; <see cref="Sample"/> asks it for a <see cref="VideoStatsSample"/> of its connection.
/// </summary>
public sealed class FirefoxPublisher : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;
    private readonly List<string> _lines = [];

    public List<string> PageErrors { get; } = [];

    private FirefoxPublisher(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>Starts Firefox, which joins the queue through <paramref name="callPageUrl"/>; returns once it waits there.</summary>
    public static async Task<FirefoxPublisher> JoinQueue(string callPageUrl, string name)
    {
        var start = new ProcessStartInfo("node", [Path.Combine(BrowserJs.Folder, "firefox-publisher.mjs"), callPageUrl, name])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["VOKI_STATS_FUNCTION"] = VideoStatsSample.Function;
        var firefox = new FirefoxPublisher(Process.Start(start)!);
        var waiting = await firefox.Next(TimeSpan.FromSeconds(30));
        if (waiting.GetProperty("phase").GetString() != "waiting") throw new InvalidOperationException($"firefox: {waiting}");
        return firefox;
    }

    /// <summary>The page's state (join, waiting, call, ended) and its connection's video statistics (null before media).</summary>
    public async Task<(string Phase, VideoStatsSample? Sample)> Sample()
    {
        await _process.StandardInput.WriteLineAsync("sample");
        await _process.StandardInput.FlushAsync();
        var line = await Next(TimeSpan.FromSeconds(10));
        var sample = line.GetProperty("sample");
        return (line.GetProperty("phase").GetString()!, sample.ValueKind == JsonValueKind.Object ? VideoStatsSample.Parse(sample) : null);
    }

    private async Task<JsonElement> Next(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            while (await _process.StandardOutput.ReadLineAsync(limit.Token) is { } text)
            {
                _lines.Add(text);
                if (!text.StartsWith('{')) continue;
                var line = JsonDocument.Parse(text).RootElement;
                if (line.TryGetProperty("pageError", out var error)) PageErrors.Add(error.GetString()!);
                else return line;
            }
        }
        catch (OperationCanceledException) { }
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        throw new TimeoutException($"firefox: no answer within {timeout}; last lines: {string.Join(" | ", _lines.TakeLast(3))}; stderr: {await _stderr}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await _process.StandardInput.WriteLineAsync("quit");
                await _process.StandardInput.FlushAsync();
            }
            catch (IOException) { }
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await _process.WaitForExitAsync(limit.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
