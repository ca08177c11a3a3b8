using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Media.Client;
using Voki.Media.Recording;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Recording;

/// <summary>Capture during a call, through the call grain's own media session, with client-mode peers in the browsers' place.</summary>
[Collection(ApiCollection.Name)]
public sealed class CaptureTests(VokiApp app)
{
    [Fact]
    public async Task A_recorded_call_captures_every_track_with_its_timeline_and_protects_its_department()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "advanced");
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put("/api/v1/company", new { recording_enabled = true })).Status);
        var department = await s.Department();
        var callId = (await s.Join(department))["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/calls/{callId}/start")).Status);

        var call = app.Services.GetRequiredService<IGrainFactory>().GetGrain<ICallGrain>(TenantKey.For(s.Tenant, Guid.Parse(callId)));
        using var customer = new SyntheticPeer();
        using var attendant = new SyntheticPeer();
        await Connect(call, customer, new Participant { Id = "customer", Role = "customer", Name = "Carlos" });
        await Connect(call, attendant, new Participant { Id = s.OwnerId, Role = "attendant", Name = "Owner" });
        await Publish([customer, attendant], TimeSpan.FromSeconds(1.5));
        await call.Muted("customer", "audio", true);

        var capture = Path.Combine(app.RecordingsRoot, s.Tenant, callId, "capture");
        Assert.True(Directory.Exists(capture));
        // Flushed while the call runs: what a crash would leave behind reaches the disk without the call ending.
        bool Written(TimelineEvent track) => new FileInfo(Path.Combine(capture, track.File!)).Length > 32;
        await Eventually.Holds(() => TimelineEvent.Read(capture) is var events && events.Count(e => e.Type == "track") == 4
            && events.Where(e => e.Type == "track").All(Written) && events.Any(e => e.Type == "mute"), TimeSpan.FromSeconds(10), "every track and the mute on disk");
        var live = TimelineEvent.Read(capture);
        Assert.Contains(live, e => e is { Type: "join", Participant: "customer", Name: "Carlos", Role: "customer" });
        var tracks = live.Where(e => e.Type == "track").ToList();
        Assert.Equal(4, tracks.Count); // two participants × audio + video
        foreach (var track in tracks) Assert.True(new FileInfo(Path.Combine(capture, track.File!)).Length > 32, track.File);
        Assert.Contains(live, e => e is { Type: "mute", Participant: "customer", Kind: "audio", Muted: true });

        var completed = await s.Owner.Post($"/api/v1/calls/{callId}/complete");
        Assert.Equal(HttpStatusCode.OK, completed.Status);
        Assert.True(completed.Data["has_recording"]!.GetValue<bool>());
        Assert.Equal("processing", completed.Data["recording_status"]!.GetValue<string>());
        Assert.Contains(TimelineEvent.Read(capture), e => e.Type == "end");

        // A department with a recorded call cannot be deleted.
        var delete = await s.Owner.Delete($"/api/v1/departments/{department}");
        Assert.Equal(HttpStatusCode.Conflict, delete.Status);
        Assert.Equal("Department has calls with recordings and cannot be deleted; deactivate it instead", delete.Detail);
    }

    [Fact]
    public async Task Without_recording_enabled_nothing_is_captured()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "advanced");
        var department = await s.Department();
        var callId = (await s.Join(department))["call_id"]!.GetValue<string>();
        await s.Owner.Post($"/api/v1/calls/{callId}/start");
        var call = app.Services.GetRequiredService<IGrainFactory>().GetGrain<ICallGrain>(TenantKey.For(s.Tenant, Guid.Parse(callId)));
        using var customer = new SyntheticPeer();
        await Connect(call, customer, new Participant { Id = "customer", Role = "customer", Name = "Ana" });
        await Publish([customer], TimeSpan.FromSeconds(0.5));
        var completed = await s.Owner.Post($"/api/v1/calls/{callId}/complete");
        Assert.False(completed.Data["has_recording"]!.GetValue<bool>());
        Assert.Equal("none", completed.Data["recording_status"]!.GetValue<string>());
        Assert.False(Directory.Exists(Path.Combine(app.RecordingsRoot, s.Tenant, callId)));
        Assert.Equal(HttpStatusCode.NoContent, (await s.Owner.Delete($"/api/v1/departments/{department}")).Status);
    }

    private static async Task Connect(ICallGrain call, SyntheticPeer peer, Participant who)
    {
        var answer = await call.Negotiate(who, "offer", peer.CreateOffer());
        Assert.Null(answer.Failure);
        await peer.ConnectAsync(answer.Value!, TimeSpan.FromSeconds(10));
    }

    private static Task Publish(SyntheticPeer[] peers, TimeSpan duration) => Tests.Media.SyntheticMedia.PublishAsync(peers, duration, videoEvery: 3);
}
