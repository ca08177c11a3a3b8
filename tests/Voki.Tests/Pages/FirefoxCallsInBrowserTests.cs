using System.Diagnostics;
using System.Text.Json;
using Voki.Tests.Browser;
using Xunit.Abstractions;

namespace Voki.Tests.Pages;

/// <summary>
/// The customer in Firefox ESR (DTLS 1.3 first, Opus and VP8 under other payload types than Chromium's),
/// driven through the product's /call/{token} page by tests/browser-js/firefox-customer.mjs; the attendant
/// in Chromium's console.
/// </summary>
[Collection(BrowserCallCollection.Name)]
public sealed class FirefoxCallsInBrowserTests(BrowserCallCluster cluster, ITestOutputHelper output)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    [Fact]
    public async Task A_customer_in_firefox_and_an_attendant_in_chromium_see_and_hear_each_other()
    {
        Assert.True(File.Exists("/usr/bin/firefox-esr"), "./voki test installs Debian's firefox-esr package");
        var clock = Stopwatch.StartNew();
        var node = cluster.First;
        var t = await CallFlows.SignUp(node.BaseUrl);
        await using var firefox = FirefoxCustomer.Start($"{node.BaseUrl}/call/{t.LinkToken}", "Lucas Prado", seconds: 25);
        await firefox.Next(line => line.Phase == "waiting", TimeSpan.FromSeconds(15));

        await using var attendant = await CallFlows.LogsIn(cluster.Chromium.Browser, node.BaseUrl, t, t.Attendant, "attendant");
        await CallFlows.TakesCall(attendant, "Lucas Prado");

        // Firefox decodes the attendant's video and receives their audio, rising from one sample to the next.
        bool Receives(FirefoxLine line) => line.Stats is { } s
            && s.Inbound.Any(i => i.Kind == "video" && i.Frames >= 5) && s.Inbound.Any(i => i.Kind == "audio" && i.Packets >= 20);
        var first = await firefox.Next(Receives, TimeSpan.FromSeconds(15));
        var later = await firefox.Next(Receives, TimeSpan.FromSeconds(5));
        var (video, audio) = (Inbound(later, "video"), Inbound(later, "audio"));
        Assert.True(video.Frames > Inbound(first, "video").Frames && audio.Packets > Inbound(first, "audio").Packets, $"{first.Stats} then {later.Stats}");
        var chromium = await attendant.ReceivesMediaFrom(1);
        var flowing = clock.Elapsed;

        // Each browser receives in its own payload types, the ones it sends with: the SFU rewrites them per subscriber.
        // Both publish their camera as simulcast, half and full resolution, and receive one stream of it.
        foreach (var (stats, who) in new[] { (later.Stats!, "firefox"), (chromium, "chromium") })
        {
            Assert.True(stats.Outbound.Count(o => o.Kind == "video") == 2, $"{who} sends {stats.Outbound.Count(o => o.Kind == "video")} video streams, want 2 simulcast layers");
            foreach (var kind in new[] { "audio", "video" })
            {
                var received = stats.Inbound.Single(i => i.Kind == kind).Codec;
                Assert.All(stats.Outbound.Where(o => o.Kind == kind), o => Assert.Equal(o.Codec, received));
            }
        }
        output.WriteLine($"firefox receives {video.Codec} and {audio.Codec}; chromium receives {Inbound(chromium, "video").Codec} and {Inbound(chromium, "audio").Codec}");

        await attendant.TestId("complete-call").ClickAsync();
        var ended = await firefox.Next(line => line.Phase == "ended", TimeSpan.FromSeconds(10));
        Assert.Contains("participant_left", ended.Events ?? []);
        Assert.Contains("call_ended", ended.Events ?? []);
        Assert.Null(ended.Stats);
        Assert.Empty(firefox.PageErrors);
        Assert.Empty(attendant.Errors);
        output.WriteLine($"media both ways at {flowing.TotalSeconds:F1} s, done at {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static RtpStream Inbound(FirefoxLine line, string kind) => Inbound(line.Stats!, kind);

    private static RtpStream Inbound(MediaStats stats, string kind) => stats.Inbound.Single(i => i.Kind == kind);

    public sealed record FirefoxLine(string? Phase, MediaStats? Stats, List<string>? Events, string? PageError);

    /// <summary>node tests/browser-js/firefox-customer.mjs, its JSON lines read as they come.</summary>
    private sealed class FirefoxCustomer : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Task<string> _stderr;
        private readonly List<string> _lines = [];
        public List<string> PageErrors { get; } = [];

        private FirefoxCustomer(Process process)
        {
            _process = process;
            _stderr = process.StandardError.ReadToEndAsync();
        }

        public static FirefoxCustomer Start(string url, string name, int seconds) =>
            new(Process.Start(new ProcessStartInfo("node", [Path.Combine(BrowserJs.Folder, "firefox-customer.mjs"), url, name, seconds.ToString()])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!);

        public async Task<FirefoxLine> Next(Func<FirefoxLine, bool> wanted, TimeSpan timeout)
        {
            using var limit = new CancellationTokenSource(timeout);
            try
            {
                while (await _process.StandardOutput.ReadLineAsync(limit.Token) is { } text)
                {
                    _lines.Add(text);
                    if (!text.StartsWith('{')) continue;
                    var line = JsonSerializer.Deserialize<FirefoxLine>(text, Json)!;
                    if (line.PageError is { } error) PageErrors.Add(error);
                    else if (wanted(line)) return line;
                }
            }
            catch (OperationCanceledException) { }
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"firefox: no such line within {timeout}; last lines: {string.Join(" | ", _lines.TakeLast(3))}; stderr: {await _stderr}");
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}
