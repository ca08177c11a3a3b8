using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;

namespace Voki.Tests.Browser;

/// <summary>
/// Firefox ESR (DTLS 1.3 by default, other payload types than Chromium) and Chromium in one call
/// through our SFU. Firefox is driven by puppeteer-core over WebDriver BiDi (tests/browser-js).
/// </summary>
public sealed class FirefoxSfuTests(Chromium chromium) : IClassFixture<Chromium>
{
    [Fact]
    public async Task Firefox_and_chromium_see_and_hear_each_other_through_the_sfu()
    {
        Assert.True(File.Exists("/usr/bin/firefox-esr"), "./voki test installs Debian's firefox-esr package");
        await using var host = await SignalingHost.StartAsync();
        var dropped = new System.Collections.Concurrent.ConcurrentQueue<string>();
        host.Session.ParticipantDropped += (who, reason) => dropped.Enqueue($"{who}: {reason}");

        var page = await chromium.Browser.NewPageAsync();
        await page.GotoAsync(host.Url);
        await page.EvaluateAsync("() => start('chromium')");

        var firefoxLines = new List<string>();
        using var firefox = Process.Start(new ProcessStartInfo("node", [Path.Combine(BrowserJs.Folder, "firefox-peer.mjs"), host.Url, "firefox", "25"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stderr = firefox.StandardError.ReadToEndAsync();
        Inbound firefoxStats = default, chromiumStats = default;
        while (await firefox.StandardOutput.ReadLineAsync() is { } line)
        {
            firefoxLines.Add(line);
            if (!line.StartsWith('{')) continue;
            firefoxStats = Parse(JsonDocument.Parse(line).RootElement);
            chromiumStats = Parse(await page.EvaluateAsync<JsonElement>("() => inbound()"));
            if (firefoxStats.Video >= 15 && firefoxStats.Audio >= 50 && chromiumStats.Video >= 15 && chromiumStats.Audio >= 50) break;
        }
        // Read the peers before Firefox goes: its shutdown may send a DTLS close_notify, and then the
        // session drops it.
        var rtx = new[] { "firefox", "chromium" }.ToDictionary(who => who, who => host.Session.Peer(who) is { } peer
            ? (Published: peer.Published.Values.Where(t => t.Kind == "video").Select(t => t.RtxSsrc).ToList(),
               Forwarded: peer.Forwarded.Values.Where(f => f.Source.Kind == "video").Select(f => f.RtxAccepted).ToList())
            : default);
        if (!firefox.HasExited) firefox.Kill(entireProcessTree: true);
        var context = $"dropped: [{string.Join(", ", dropped)}]; firefox: {firefoxStats}; chromium: {chromiumStats}; node: {host.Node.Counters}; output: {string.Join(" | ", firefoxLines.TakeLast(3))}; stderr: {(firefox.HasExited ? await stderr : "")}";
        Assert.True(firefoxStats.Video >= 15 && firefoxStats.Audio >= 50, context);
        Assert.True(chromiumStats.Video >= 15 && chromiumStats.Audio >= 50, context);
        // Both engines offer RTX under their own payload types; we answer it, and each accepts ours.
        foreach (var (who, (published, forwarded)) in rtx)
        {
            Assert.True(published is not null, $"{who} was no longer in the session; {context}");
            Assert.NotNull(Assert.Single(published));
            Assert.NotEmpty(forwarded);
            Assert.All(forwarded, accepted => Assert.True(accepted, $"{who} did not accept our RTX"));
        }
    }

    private static Inbound Parse(JsonElement json) => new(json.GetProperty("video").GetInt32(), json.GetProperty("audio").GetInt32(),
        json.GetProperty("streams").GetInt32(), json.TryGetProperty("state", out var state) ? state.GetString() : null);

    private readonly record struct Inbound(int Video, int Audio, int Streams, string? State);
}

/// <summary>Where the repository's tests/browser-js (npm-installed by ./voki test) lives.</summary>
public static class BrowserJs
{
    public static string Folder
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !Directory.Exists(Path.Combine(directory.FullName, "tests", "browser-js"))) directory = directory.Parent;
            return Path.Combine(directory?.FullName ?? throw new DirectoryNotFoundException("tests/browser-js"), "tests", "browser-js");
        }
    }
}
