using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;
using Voki.Media.Client;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Recording;

/// <summary>
/// Captures that never become a recording (the call ended missed or cancelled) do not stay on disk forever:
/// one without media goes at once, one with media at the plan's retention; each purge is audited.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class CaptureRetentionTests(VokiApp app)
{
    [Fact]
    public async Task A_cancelled_call_whose_capture_holds_no_media_loses_it_at_once_and_the_purge_is_audited()
    {
        var (s, callId, call, _) = await RecordedTenantWithAssignedCall(app);
        using var customer = new SyntheticPeer();
        // The customer negotiates (the capture starts) but no media ever arrives.
        Assert.Null((await call.Negotiate(new Participant { Id = "customer", Role = "customer", Name = "Carlos" }, "offer", customer.CreateOffer())).Failure);
        var capture = Path.Combine(app.RecordingsRoot, s.Tenant, callId, "capture");
        Assert.True(Directory.Exists(capture));

        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/calls/{callId}/cancel")).Status);
        Assert.False(Directory.Exists(capture), "the capture of a cancelled call without media is deleted");
        Assert.False(Directory.Exists(Path.GetDirectoryName(capture)), "and its empty call directory with it");
        var audit = (await s.Owner.Get($"/api/v1/calls/{callId}/recording/audit")).Data.AsArray();
        Assert.Contains(audit, a => a!["action"]!.GetValue<string>() == "purge" && a["actor_id"] is null);
    }

    [Fact]
    public async Task A_missed_call_that_had_media_keeps_its_capture_until_the_plans_retention()
    {
        var (s, callId, capture) = await MissedCallWithMedia(app);
        Assert.True(Directory.Exists(capture), "kept for the advanced plan's 90 days");
        var audit = (await s.Owner.Get($"/api/v1/calls/{callId}/recording/audit")).Data.AsArray();
        Assert.DoesNotContain(audit, a => a!["action"]!.GetValue<string>() == "purge");
    }

    /// <summary>A call that captured a track, then went missed (the customer left before it started); returns its capture directory.</summary>
    internal static async Task<(Scenario S, string CallId, string Capture)> MissedCallWithMedia(VokiApp app)
    {
        var (s, callId, call, customerToken) = await RecordedTenantWithAssignedCall(app);
        using var customer = new SyntheticPeer();
        var answer = await call.Negotiate(new Participant { Id = "customer", Role = "customer", Name = "Carlos" }, "offer", customer.CreateOffer());
        await customer.ConnectAsync(answer.Value!, TimeSpan.FromSeconds(10));
        await Tests.Media.SyntheticMedia.PublishAsync([customer], TimeSpan.FromSeconds(1), videoEvery: 3);
        var capture = Path.Combine(app.RecordingsRoot, s.Tenant, callId, "capture");
        await Eventually.Holds(() => Voki.Media.Recording.TimelineEvent.Read(capture).Any(e => e.Type == "track"), TimeSpan.FromSeconds(10), "a track captured");
        Assert.Equal(HttpStatusCode.OK, (await s.Anonymous.As(customerToken, null).Post($"/api/v1/call/leave/{callId}")).Status);
        Assert.Equal("missed", (await s.Owner.Get($"/api/v1/calls/{callId}")).Data["status"]!.GetValue<string>());
        return (s, callId, capture);
    }

    private static async Task<(Scenario, string CallId, ICallGrain Call, string CustomerToken)> RecordedTenantWithAssignedCall(VokiApp app)
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "advanced");
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put("/api/v1/company", new { recording_enabled = true })).Status);
        var joined = await s.Join(await s.Department());
        var callId = joined["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/calls/{callId}/assign", new { })).Status);
        var call = app.Services.GetRequiredService<IGrainFactory>().GetGrain<ICallGrain>(TenantKey.For(s.Tenant, Guid.Parse(callId)));
        return (s, callId, call, joined["websocket_token"]!.GetValue<string>());
    }
}

/// <summary>A node whose advanced plan keeps recordings and captures for 0 days: retention is due at once.</summary>
public sealed class NoRetentionApp : VokiApp
{
    protected override IDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["Plans:advanced:RetentionDays"] = "0",
    };
}

/// <summary>The second half of a missed call's capture retention: when the plan's period has passed, the capture goes and the purge is audited.</summary>
public sealed class CaptureRetentionDueTests(NoRetentionApp app) : IClassFixture<NoRetentionApp>
{
    [Fact]
    public async Task A_missed_call_s_capture_is_purged_once_the_plans_retention_has_passed()
    {
        var (s, callId, capture) = await CaptureRetentionTests.MissedCallWithMedia(app);
        await Eventually.Holds(() => !Directory.Exists(capture), TimeSpan.FromSeconds(60), "the capture purged at the end of its retention");
        await Eventually.Holds(async () => (await s.Owner.Get($"/api/v1/calls/{callId}/recording/audit")).Data.AsArray()
            .Any(a => a!["action"]!.GetValue<string>() == "purge"), TimeSpan.FromSeconds(10), "the purge audited");
    }
}
