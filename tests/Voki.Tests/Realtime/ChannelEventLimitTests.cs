using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Media.Client;
using Voki.Media.Recording;
using Voki.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Voki.Tests.Realtime;

/// <summary>
/// Client events on a call's topic are bounded (issue 10, item 7): each mute is broadcast to everyone and noted on
/// the recording's timeline, so a socket flooding them is refused past a token bucket, and the call's timeline caps
/// mute lines whatever reaches the grain.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ChannelEventLimitTests(VokiApp app, ITestOutputHelper output)
{
    // RealtimeOptions' defaults: 50 events at once, then 10 a second.
    private const int Burst = 50, PerSecond = 10, Flood = 1000;

    [Fact]
    public async Task A_socket_flooding_mutes_is_rate_limited_and_the_others_hear_a_bounded_number()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "advanced");
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put("/api/v1/company", new { recording_enabled = true })).Status);
        var department = await s.Department();
        var (attendant, _) = await s.Staff("attendant", department);
        var customer = await s.Customer(department);
        var topic = $"call:{customer.CallId}";
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{customer.CallId}/assign", new { })).Status);

        await using var listener = await PhoenixTestClient.Connect(app, customer.SocketToken);
        Assert.Equal("ok", (await listener.Join(topic)).Status);
        await using var flooder = await PhoenixTestClient.Connect(app, attendant.Token!);
        Assert.Equal("ok", (await flooder.Join(topic)).Status);
        // The attendant's media starts, and with it the capture whose timeline notes mutes.
        using var peer = new SyntheticPeer();
        Assert.Equal("ok", (await flooder.Push(topic, "signal", new { type = "offer", sdp = peer.CreateOffer() })).Status);
        var capture = Path.Combine(app.RecordingsRoot, s.Tenant, customer.CallId, "capture");
        Assert.True(Directory.Exists(capture));

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Flood; i++)
            await flooder.SendRaw(JsonSerializer.Serialize(new object?[] { "1", $"flood-{i}", topic, "mute", new { type = "audio", muted = i % 2 == 0 } }));
        var replies = new List<Frame>();
        for (var i = 0; i < Flood; i++) replies.Add(await flooder.Next(topic, "phx_reply", f => f.Ref == $"flood-{i}"));
        var elapsed = clock.Elapsed;
        var passed = replies.Count(r => r.Status == "ok");
        var limited = replies.Count(r => r is { Status: "error", Reason: "rate limited" });
        Assert.Equal(Flood, passed + limited);
        var allowed = Burst + (int)Math.Ceiling(PerSecond * elapsed.TotalSeconds) + 1;
        Assert.InRange(passed, Burst - 2, allowed); // the join and the offer took two

        // The other side hears only what passed; the rest never left the flooder's channel.
        var heard = 0;
        while (!await listener.Quiet(topic, "mute", TimeSpan.FromSeconds(1))) heard++;
        output.WriteLine($"{Flood} mutes in {elapsed.TotalMilliseconds:F0} ms: {passed} passed, {limited} rate limited, {heard} broadcast to the customer");
        Assert.Equal(passed, heard);
        await Eventually.Holds(() => TimelineEvent.Read(capture).Count(e => e.Type == "mute") == passed, TimeSpan.FromSeconds(10),
            "the timeline notes the mutes that passed");
        Assert.True(TimelineEvent.Read(capture).Count(e => e.Type == "mute") < Flood / 4);

        // The socket is still served, and once the bucket refilled an honest mute passes and is heard.
        Assert.Equal("ok", (await flooder.Heartbeat()).Status);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal("ok", (await flooder.Push(topic, "mute", new { type = "video", muted = true })).Status);
        Assert.Equal("video", (await listener.Next(topic, "mute")).Text("type"));
        // Each topic has its own bucket: the customer's events were never limited.
        Assert.Equal("ok", (await listener.Push(topic, "mute", new { type = "audio", muted = true })).Status);
    }

    [Fact]
    public async Task An_honest_page_sends_its_join_offer_candidates_and_mutes_unhindered()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (attendant, _) = await s.Staff("attendant", department);
        var customer = await s.Customer(department);
        var topic = $"call:{customer.CallId}";
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{customer.CallId}/assign", new { })).Status);
        await using var socket = await PhoenixTestClient.Connect(app, customer.SocketToken);
        Assert.Equal("ok", (await socket.Join(topic)).Status);
        using var peer = new SyntheticPeer();
        Assert.Equal("ok", (await socket.Push(topic, "signal", new { type = "offer", sdp = peer.CreateOffer() })).Status);
        for (var i = 0; i < 12; i++)
            Assert.Equal("ok", (await socket.Push(topic, "ice_candidate", new { candidate = $"candidate:{i} 1 udp 2122260223 192.0.2.1 {50000 + i} typ host", sdpMid = "0", sdpMLineIndex = 0 })).Status);
        Assert.Equal("ok", (await socket.Push(topic, "ice_candidate", new { candidate = (string?)null })).Status);
        for (var i = 0; i < 10; i++)
            Assert.Equal("ok", (await socket.Push(topic, "mute", new { type = i % 2 == 0 ? "audio" : "video", muted = i % 4 < 2 })).Status);
    }

    [Fact]
    public async Task The_calls_timeline_stops_noting_mutes_at_its_cap_with_one_marker()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "advanced");
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put("/api/v1/company", new { recording_enabled = true })).Status);
        var callId = (await s.Join(await s.Department()))["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/calls/{callId}/assign", new { })).Status);
        var call = app.Services.GetRequiredService<IGrainFactory>().GetGrain<ICallGrain>(TenantKey.For(s.Tenant, Guid.Parse(callId)));
        using var peer = new SyntheticPeer();
        Assert.Null((await call.Negotiate(new Participant { Id = "customer", Role = "customer", Name = "Carlos" }, "offer", peer.CreateOffer())).Failure);
        var capture = Path.Combine(app.RecordingsRoot, s.Tenant, callId, "capture");
        var cap = new RecordingOptions().MaxTimelineLines;

        // As many sockets as it takes, each within its own rate: the grain hears far more than the cap.
        for (var i = 0; i < cap + 500; i++) await call.Muted("customer", "audio", i % 2 == 0);
        await Eventually.Holds(() => TimelineEvent.Read(capture).Any(e => e.Type == CallGrain.TimelineFullMarker), TimeSpan.FromSeconds(20), "the cap's marker");
        await Task.Delay(500); // one-way calls still in flight would land after the marker
        var timeline = TimelineEvent.Read(capture);
        var written = timeline.Count(e => e.Type is "join" or "leave" or "mute");
        output.WriteLine($"{cap + 500} mutes reached the grain; the timeline holds {timeline.Count(e => e.Type == "mute")} mute lines of {timeline.Count} lines");
        Assert.Equal(cap, written);
        Assert.Single(timeline, e => e.Type == CallGrain.TimelineFullMarker);
        Assert.Equal(CallGrain.TimelineFullMarker, timeline.Last(e => e.Type is "mute" or CallGrain.TimelineFullMarker).Type);
    }
}
