using System.Net;
using Voki.Tests.Infrastructure;
using Voki.Tests.Recording;

namespace Voki.Tests.Pages;

/// <summary>
/// The console's Recordings view in Chromium: the attendant's completed calls, and a composed WebM played from
/// a blob: URL fetched with the session's headers (a &lt;video src&gt; cannot send them), seekable, with its
/// transcript panel.
/// </summary>
[Collection(BrowserCallCollection.Name)]
public sealed class RecordingsInBrowserTests(BrowserCallCluster cluster)
{
    private KestrelVokiApp Node => cluster.First;

    [Fact]
    public async Task An_attendant_watches_and_seeks_the_recording_of_a_completed_call()
    {
        var t = await CallFlows.SignUp(Node.BaseUrl, plan: "advanced");
        Assert.Equal(HttpStatusCode.OK, (await t.Scenario.Owner.Put("/api/v1/company", new { recording_enabled = true })).Status);
        var callId = (await t.Scenario.Join(t.Department, "Paula Mendes"))["call_id"]!.GetValue<string>();
        var attendant = t.Attendant.Api;
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/assign", new { })).Status);
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/start")).Status);
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/complete", new { })).Status);
        await RecordingApiTests.Record(Node, t.Scenario.Tenant, callId);
        var recording = await RecordingApiTests.Ready(attendant, callId);
        Assert.Equal(HttpStatusCode.OK, recording.Status);
        var duration = recording.Data["duration"]!.GetValue<double>();

        await using var console = await CallFlows.LogsIn(cluster.Chromium.Browser, Node.BaseUrl, t, t.Attendant, "attendant");
        await console.TestId("open-recordings").ClickAsync();
        await console.State("recordings");
        var item = console.Page.Locator($"[data-testid=\"recording-item\"][data-call-id=\"{callId}\"]");
        Assert.Equal("ready", await item.GetAttributeAsync("data-recording-status"));
        Assert.Contains("Paula Mendes", await item.TextContentAsync());
        await item.Locator("[data-testid=\"watch-recording\"]").ClickAsync();
        await console.TestId("player").WaitForAsync();

        // The player's source is a blob: URL, and Chromium decodes the WebM's metadata from it.
        var video = console.TestId("recording-video");
        Assert.StartsWith("blob:", await video.EvaluateAsync<string>("v => v.currentSrc"));
        await console.Page.WaitForFunctionAsync("() => document.querySelector('[data-testid=\"recording-video\"]').readyState >= 1");
        var loaded = await video.EvaluateAsync<double>("v => v.duration");
        Assert.InRange(loaded, duration - 1, duration + 1);

        // Seeking: the media element reaches the new position.
        var seeked = await video.EvaluateAsync<double>("""
            v => new Promise((resolve, reject) => {
              v.addEventListener("seeked", () => resolve(v.currentTime), { once: true });
              v.addEventListener("error", () => reject(new Error(v.error?.message ?? "media error")), { once: true });
              v.currentTime = 2;
            })
            """);
        Assert.InRange(seeked, 1.9, 2.1);

        // No transcription for this company: the panel says so, and the player has no captions track.
        Assert.Equal("No transcript", (await console.TestId("transcript-empty").TextContentAsync())!.Trim());
        Assert.True(await console.TestId("transcript-empty").IsVisibleAsync());
        Assert.Equal(0, await video.Locator("track").CountAsync());
        Assert.Equal("Call with Paula Mendes", await console.Page.Locator("#player-title").TextContentAsync());
        await console.Shoot("5-console-recording");

        // Back to the queue frees the blob: URL.
        await console.TestId("close-recordings").ClickAsync();
        await console.State("queue");
        Assert.Null(await console.Page.EvaluateAsync<object?>("() => window.__voki.recording()"));
        Assert.Empty(console.Errors);
    }
}
