using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Media.Client;
using Voki.Media.Recording;
using Voki.Tests.Cluster;
using Voki.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Voki.Tests.Recording;

/// <summary>
/// The node running a recorded call's media dies (SIGKILL) while media flows into its capture; the nodes share the
/// recordings root, as a shared mount would. The call is completed on the survivor, where its grain comes back with
/// its state, and what the dead node had flushed to disk is composed into a playable WebM.
/// </summary>
[Collection(Voki.Tests.Cluster.ClusterCollection.Name)]
public sealed class RecordingEndToEndCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_call_whose_media_node_is_killed_still_gets_the_recording_of_what_was_captured()
    {
        var shared = Path.Combine(Path.GetTempPath(), $"voki-test-shared-recordings-{Guid.NewGuid():N}");
        try
        {
            await using var database = await TestDatabase.CreateAsync();
            var settings = new Dictionary<string, string> { ["Recordings:Root"] = shared };
            await using var survivor = new InProcessNode(database.ConnectionString, database.Name, settings);
            var http = survivor.CreateClient();
            await using var victim = NodeProcess.Start(database.ConnectionString, database.Name, settings);
            try
            {
                await Crash(survivor, http, victim, shared);
            }
            catch
            {
                output.WriteLine("log of the node that was killed:\n" + victim.Log);
                throw;
            }
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("VOKI_KEEP") is null && Directory.Exists(shared)) Directory.Delete(shared, recursive: true);
        }
    }

    private async Task Crash(InProcessNode survivor, HttpClient http, NodeProcess victim, string shared)
    {
        var clip = EncodedClip.GenerateAsync(Path.Combine(shared, "clips"), "0x3060a0", 12);
        await victim.WaitReadyAsync(TimeSpan.FromSeconds(90));
        var membership = survivor.Services.GetRequiredService<IClusterMembershipService>();
        var self = survivor.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        await Eventually(() => Task.FromResult(membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active) == 2), TimeSpan.FromSeconds(20));
        var victimSilo = membership.CurrentSnapshot.Members.Values.Single(m => m.Status == SiloStatus.Active && !m.SiloAddress.Equals(self)).SiloAddress;

        var s = await Scenario.SignUp(http, plan: "advanced");
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put("/api/v1/company", new { recording_enabled = true })).Status);
        var callId = (await s.Join(await s.Department()))["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/calls/{callId}/start")).Status);
        var grains = survivor.Services.GetRequiredService<IGrainFactory>();
        var management = grains.GetGrain<IManagementGrain>(0);
        var call = grains.GetGrain<ICallGrain>(TenantKey.For(s.Tenant, Guid.Parse(callId)));
        if (!victimSilo.Equals(await management.GetActivationAddress(call)))
        {
            RequestContext.Set(IPlacementDirector.PlacementHintKey, victimSilo);
            try { await call.Cast<IGrainManagementExtension>().MigrateOnIdle(); }
            finally { RequestContext.Clear(); }
            await Eventually(async () => victimSilo.Equals(await management.GetActivationAddress(call)), TimeSpan.FromSeconds(10));
        }

        // Two client-mode peers send real VP8 and Opus to the SFU of the node that is going to die.
        using var customer = new SyntheticPeer();
        using var attendant = new SyntheticPeer();
        foreach (var (peer, who) in new[] { (customer, new Participant { Id = "customer", Role = "customer", Name = "Carlos" }),
                     (attendant, new Participant { Id = s.OwnerId, Role = "attendant", Name = "Owner" }) })
        {
            var answer = await call.Negotiate(who, "offer", peer.CreateOffer());
            Assert.Null(answer.Failure);
            await peer.ConnectAsync(answer.Value!, TimeSpan.FromSeconds(10));
        }
        var capture = Path.Combine(shared, s.Tenant, callId, "capture");
        Assert.True(Directory.Exists(capture), "the victim captures under the shared root");
        using var stop = new CancellationTokenSource();
        var media = (await clip).PublishAsync([customer, attendant], stop.Token);
        await Eventually(() => Task.FromResult(CapturedMedia.Seconds(capture, "customer") >= 4 && CapturedMedia.Seconds(capture, s.OwnerId) >= 4),
            TimeSpan.FromSeconds(30));
        Assert.Null(survivor.Services.GetRequiredService<Voki.Media.Sfu.MediaNode>().ExistingSession(call.GetPrimaryKeyString()));
        Assert.True(victimSilo.Equals(await management.GetActivationAddress(call)), "the media runs on the node about to die");

        var killedAt = TimelineEvent.Now();
        victim.Crash();
        stop.Cancel();
        await media;
        var timeline = TimelineEvent.Read(capture);
        Assert.DoesNotContain(timeline, e => e.Type == "end");
        var firstJoin = timeline.First(e => e.Type == "join").At;
        var captured = (killedAt - firstJoin) / 1000.0;

        // Completed on the survivor (503 + Retry-After until the dead node is declared dead): the reactivated grain
        // remembers its capture and hands it over to the recording grain, which composes it there.
        var clock = Stopwatch.StartNew();
        ApiResponse completed;
        while ((completed = await s.Owner.Post($"/api/v1/calls/{callId}/complete")).Status == HttpStatusCode.ServiceUnavailable)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the call could not be completed on the survivor");
            await Task.Delay(completed.Message.Headers.RetryAfter?.Delta ?? TimeSpan.FromMilliseconds(200));
        }
        Assert.Equal(HttpStatusCode.OK, completed.Status);
        Assert.True(completed.Data["has_recording"]!.GetValue<bool>());
        Assert.Equal("processing", completed.Data["recording_status"]!.GetValue<string>());
        var completedAfter = clock.Elapsed;

        ApiResponse recording;
        while ((recording = await s.Owner.Get($"/api/v1/calls/{callId}/recording")).Status != HttpStatusCode.OK)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"no recording: {recording.Status} {recording.Body?.ToJsonString()}");
            await Task.Delay(250);
        }
        var download = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/api/v1/calls/{callId}/recording/download")
        {
            Headers = { { "Authorization", $"Bearer {s.Owner.Token}" }, { "X-Tenant", s.Tenant } },
        });
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        var file = Path.Combine(shared, "downloaded.webm");
        await File.WriteAllBytesAsync(file, await download.Content.ReadAsByteArrayAsync());

        var info = await MediaProbe.InfoAsync(file);
        Assert.Contains("webm", info.FormatName);
        Assert.Contains(info.Streams, st => st is { Type: "video", Codec: "vp8" });
        Assert.Contains(info.Streams, st => st is { Type: "audio", Codec: "opus" });
        // Flushed every second: the recording covers the media up to about a second before the kill.
        Assert.True(info.Duration >= captured - 1.2 && info.Duration <= captured + 0.3, $"recording of {info.Duration:F2} s for {captured:F2} s captured before the kill");
        // Counted, not loaded: a capture of 26 s or more (a loaded machine's) decodes to over 2 GB of 1280x720 RGB.
        var frames = await MediaProbe.FrameCountAsync(file);
        Assert.True(frames >= (captured - 1.2) * 25, $"{frames} frames decoded");
        var onsets = MediaProbe.Onsets(await MediaProbe.AudioAsync(file), 0.05);
        Assert.True(onsets.Count >= 2 && onsets[^1] >= captured - 2.2, $"beeps at {string.Join(", ", onsets.Select(o => o.ToString("F2")))}");
        output.WriteLine($"{captured:F2} s from the first join to the kill; recording {info.Duration:F2} s ({info.Duration - captured:+0.00;-0.00} s), " +
            $"{frames} frames, beeps until {onsets[^1]:F2} s; completed {completedAfter.TotalSeconds:F1} s after the kill, composed {clock.Elapsed.TotalSeconds:F1} s after it");
    }

    private static async Task Eventually(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"condition not met within {timeout}");
            await Task.Delay(20);
        }
    }
}
