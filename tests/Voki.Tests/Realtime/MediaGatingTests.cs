using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Voki.Grains.Model;
using Voki.Media.Client;
using Voki.Media.Sfu;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Realtime;

/// <summary>
/// Media only once someone took the call (decisions.md, second round; reference §3.4): through the call's
/// channel, with real offers of client-mode peers, the SFU answers the customer and the assignee once the call
/// is assigned, and a supervisor only once it is active and they joined it.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class MediaGatingTests(VokiApp app)
{
    private static readonly TimeSpan NoAnswerWithin = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_queued_customers_offer_is_refused_until_someone_takes_the_call_then_answered()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (attendant, attendantId) = await s.Staff("attendant", department);
        var customer = await s.Customer(department);
        var topic = $"call:{customer.CallId}";
        await using var socket = await PhoenixTestClient.Connect(app, customer.SocketToken);
        var joined = await socket.Join(topic);
        Assert.Equal("ok", joined.Status);
        Assert.Null(joined.Response["user_id"]?.GetValue<string>());
        using var peer = new SyntheticPeer();

        var early = await socket.Push(topic, "signal", new { type = "offer", sdp = peer.CreateOffer() });
        Assert.Equal("error", early.Status);
        Assert.Equal("call not assigned", early.Reason);
        Assert.True(await socket.Quiet(topic, "signal", NoAnswerWithin), "no SDP answer for a queued, unassigned call");
        Assert.Null(MediaSession(s, customer.CallId));

        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{customer.CallId}/assign", new { })).Status);
        Assert.Equal(attendantId, (await socket.Next(topic, "call_assigned")).Text("user_id"));
        var taken = await socket.Push(topic, "signal", new { type = "offer", sdp = peer.CreateOffer() });
        Assert.Equal("ok", taken.Status);
        var answer = await socket.Next(topic, "signal");
        Assert.Equal("answer", answer.Text("type"));
        // Still queued: the docs' flow negotiates after assign and before start.
        Assert.Equal("queued", (await attendant.Get($"/api/v1/calls/{customer.CallId}")).Data["status"]!.GetValue<string>());
        await peer.ConnectAsync(answer.Text("sdp"), TimeSpan.FromSeconds(10));
        Assert.NotNull(MediaSession(s, customer.CallId)!.Peer("customer"));

        // A rejoin tells a page that reloaded that the call is taken, so it offers at once.
        await using var reloaded = await PhoenixTestClient.Connect(app, customer.SocketToken);
        Assert.Equal(attendantId, (await reloaded.Join(topic)).Response["user_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_supervisor_on_the_topic_gets_no_media_until_the_call_is_active_and_they_join_it()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (attendant, _) = await s.Staff("attendant", department);
        var (supervisorApi, supervisorId) = await s.Staff("supervisor");
        var supervisorToken = supervisorApi.Token!;
        var customer = await s.Customer(department);
        var topic = $"call:{customer.CallId}";
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{customer.CallId}/assign", new { })).Status);

        await using var supervisor = await PhoenixTestClient.Connect(app, supervisorToken);
        var subscribed = await supervisor.Join(topic);
        Assert.Equal("ok", subscribed.Status);
        Assert.Equal("supervisor", subscribed.Response["role"]!.GetValue<string>());
        using var peer = new SyntheticPeer();

        // Assigned but not active: no media for a supervisor, joined or not.
        Assert.Equal("call not active", (await supervisor.Push(topic, "signal", new { type = "offer", sdp = peer.CreateOffer() })).Reason);
        Assert.Equal("call not active", (await supervisor.Push(topic, "join", new { })).Reason);
        Assert.True(await supervisor.Quiet(topic, "signal", NoAnswerWithin));

        // Active, but the supervisor only follows the topic: still none.
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{customer.CallId}/start")).Status);
        await supervisor.Next(topic, "call_started");
        Assert.Equal("call not joined", (await supervisor.Push(topic, "signal", new { type = "offer", sdp = peer.CreateOffer() })).Reason);
        Assert.True(await supervisor.Quiet(topic, "signal", NoAnswerWithin));
        Assert.Null(MediaSession(s, customer.CallId)?.Peer(supervisorId));

        // Joined explicitly: answered.
        var join = await supervisor.Push(topic, "join", new { });
        Assert.Equal("ok", join.Status);
        Assert.Equal(supervisorId, join.Response["participant_id"]!.GetValue<string>());
        Assert.Equal("ok", (await supervisor.Push(topic, "signal", new { type = "offer", sdp = peer.CreateOffer() })).Status);
        Assert.Equal("answer", (await supervisor.Next(topic, "signal")).Text("type"));

        // Leaving the topic leaves the media too: a new subscription starts without it.
        Assert.Equal("ok", (await supervisor.Leave(topic)).Status);
        Assert.Equal("ok", (await supervisor.Join(topic)).Status);
        Assert.Equal("call not joined", (await supervisor.Push(topic, "signal", new { type = "offer", sdp = peer.CreateOffer() })).Reason);
    }

    [Fact]
    public async Task The_attendant_a_call_was_taken_from_loses_its_media()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (first, firstId) = await s.Staff("attendant", department);
        var (_, secondId) = await s.Staff("attendant", department);
        var customer = await s.Customer(department);
        var topic = $"call:{customer.CallId}";
        Assert.Equal(HttpStatusCode.OK, (await first.Post($"/api/v1/calls/{customer.CallId}/assign", new { })).Status);
        await using var socket = await PhoenixTestClient.Connect(app, first.Token!);
        Assert.Equal("ok", (await socket.Join(topic)).Status);
        using var peer = new SyntheticPeer();
        Assert.Equal("ok", (await socket.Push(topic, "signal", new { type = "offer", sdp = peer.CreateOffer() })).Status);
        Assert.NotNull(MediaSession(s, customer.CallId)!.Peer(firstId));

        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/calls/{customer.CallId}/assign", new { user_id = secondId })).Status);
        Assert.Null(MediaSession(s, customer.CallId)!.Peer(firstId));
        Assert.Equal("call not active", (await socket.Push(topic, "signal", new { type = "offer", sdp = peer.CreateOffer() })).Reason);
    }

    private SfuSession? MediaSession(Scenario s, string callId) =>
        app.Services.GetRequiredService<MediaNode>().ExistingSession(TenantKey.For(s.Tenant, Guid.Parse(callId)));
}
