using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Voki.Tests.Pages;

/// <summary>
/// One participant's page (/call/{token} or /app) in a browser context of its own, and what the page
/// exposes for tests: <c>window.__voki.inboundStats()</c> (getStats of its RTCPeerConnection) and
/// <c>window.__voki.events</c> (the events its call channel received).
/// </summary>
public sealed partial class CallPage(IBrowserContext context, IPage page, string who) : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    public IPage Page => page;
    public string Who => who;
    public List<string> Errors { get; } = [];

    /// <param name="initScript">Runs in the page before its own scripts, e.g. a camera and microphone of the test's.</param>
    public static async Task<CallPage> Open(IBrowser browser, string url, string who, string? initScript = null)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { Permissions = ["camera", "microphone"] });
        if (initScript is not null) await context.AddInitScriptAsync(initScript);
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15000);
        var opened = new CallPage(context, page, who);
        page.PageError += (_, error) => opened.Errors.Add(error);
        await page.GotoAsync(url);
        return opened;
    }

    public ILocator TestId(string id) => page.Locator($"[data-testid=\"{id}\"]");

    public Task State(string name) => page.WaitForSelectorAsync($"body[data-state=\"{name}\"]");

    public async Task<MediaStats?> Stats()
    {
        var json = await page.EvaluateAsync<JsonElement?>("() => window.__voki.inboundStats()");
        return json is { ValueKind: JsonValueKind.Object } value ? value.Deserialize<MediaStats>(Json) : null;
    }

    public async Task<List<ChannelEvent>> Events() =>
        (await page.EvaluateAsync<JsonElement>("() => window.__voki.events")).Deserialize<List<ChannelEvent>>(Json)!;

    /// <summary>Waits for the first event named <paramref name="name"/> whose payload satisfies <paramref name="match"/>.</summary>
    public async Task<JsonElement> Event(string name, Func<JsonElement, bool>? match = null, int timeoutMs = 10000)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var found = (await Events()).FirstOrDefault(e => e.Event == name && (match?.Invoke(e.Payload) ?? true));
            if (found is not null) return found.Payload;
            if (clock.ElapsedMilliseconds > timeoutMs)
                throw new TimeoutException($"{who} did not receive {name}; received: {string.Join(", ", (await Events()).Select(e => e.Event))}");
            await Task.Delay(100);
        }
    }

    /// <summary>The SDP of every <c>signal</c> this page received (the SFU's answers and offers).</summary>
    public async Task<List<string>> ReceivedSdp() =>
        [.. (await Events()).Where(e => e.Event == "signal").Select(e => e.Payload.GetProperty("sdp").GetString()!)];

    /// <summary>
    /// Waits until this page decodes video and receives audio from <paramref name="others"/> remote
    /// participants (one inbound video and one inbound audio stream each), then checks a second later that
    /// every one of those streams is still rising. Returns the later sample.
    /// </summary>
    public async Task<MediaStats> ReceivesMediaFrom(int others, int timeoutMs = 15000)
    {
        var clock = Stopwatch.StartNew();
        MediaStats? first = null;
        bool Enough(MediaStats? s) => s is not null
            && s.Inbound.Count(i => i.Kind == "video" && i.Frames >= 5) >= others
            && s.Inbound.Count(i => i.Kind == "audio" && i.Packets >= 20) >= others;
        while (!Enough(first = await Stats()))
        {
            if (clock.ElapsedMilliseconds > timeoutMs) throw new TimeoutException($"{who} receives no media after {timeoutMs} ms: {first}");
            await Task.Delay(250);
        }
        // What the user sees: video and sound still arriving from each of the others. A stream may be replaced
        // by a new one (the SFU renegotiates when a participant rejoins), so count rising streams, not old SSRCs;
        // and a loaded machine's encoders may pause for a moment, so they have a few seconds to show progress.
        MediaStats later;
        int Rising(MediaStats now, string kind) => now.Inbound.Count(stream => stream.Kind == kind
            && first!.Inbound.FirstOrDefault(i => i.Ssrc == stream.Ssrc) is var before
            && (kind == "video" ? stream.Frames > (before?.Frames ?? 0) : stream.Packets > (before?.Packets ?? 0)));
        var watch = Stopwatch.StartNew();
        do
        {
            await Task.Delay(500);
            later = (await Stats())!;
        } while ((Rising(later, "video") < others || Rising(later, "audio") < others) && watch.ElapsedMilliseconds < 5000);
        Assert.True(Rising(later, "video") >= others && Rising(later, "audio") >= others,
            $"{who}: media from {others} participant(s) should still be arriving: {first} then {later}");
        return later;
    }

    /// <summary>A picture of the page when VOKI_SCREENSHOTS names a folder, for people reviewing the pages.</summary>
    public async Task Shoot(string name)
    {
        if (Environment.GetEnvironmentVariable("VOKI_SCREENSHOTS") is { Length: > 0 } folder)
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{name}.png"), FullPage = true });
    }

    /// <summary>The ports of the host candidates an SDP advertises.</summary>
    public static IEnumerable<int> CandidatePorts(string sdp) =>
        CandidatePort().Matches(sdp).Select(m => int.Parse(m.Groups[1].Value)).Distinct();

    [GeneratedRegex(@"a=candidate:\S+ \d+ udp \d+ \S+ (\d+) typ host", RegexOptions.IgnoreCase)]
    private static partial Regex CandidatePort();

    public async ValueTask DisposeAsync() => await context.CloseAsync();
}

public sealed record MediaStats(string State, List<RtpStream> Inbound, List<RtpStream> Outbound, List<Sender> Senders)
{
    public override string ToString() =>
        $"{State}; in: [{string.Join(", ", Inbound)}]; out: [{string.Join(", ", Outbound)}]; senders: [{string.Join(", ", Senders)}]";
}

public sealed record RtpStream(string Kind, long Ssrc, string? Codec, long Packets, long Frames, double Energy);

public sealed record Sender(string Kind, bool Enabled, string State);

public sealed record ChannelEvent(string Event, JsonElement Payload);
