using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Realtime;

/// <summary>call:{call_id} between a customer and the attendant (reference §3.3, §3.4).</summary>
[Collection(ApiCollection.Name)]
public sealed class CallChannelTests(VokiApp app)
{
    [Fact]
    public async Task Participants_see_each_other_join_mute_and_leave()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (attendant, attendantId) = await s.Staff("attendant", department);
        var customer = await s.Customer(department, "Ana Paula");
        var topic = $"call:{customer.CallId}";

        await using var customerSocket = await PhoenixTestClient.Connect(app, customer.SocketToken);
        Assert.Equal("ok", (await customerSocket.Join(topic)).Status);

        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{customer.CallId}/assign", new { })).Status);
        var attendantSocket = await PhoenixTestClient.Connect(app, attendant.Token!);
        Assert.Equal("ok", (await attendantSocket.Join(topic)).Status);

        var joined = await customerSocket.Next(topic, "participant_joined");
        Assert.Null(joined.JoinRef);
        Assert.Equal(attendantId, joined.Text("participant_id"));
        Assert.Equal("attendant", joined.Text("role"));
        Assert.Equal("A attendant", joined.Text("name"));

        var muted = await attendantSocket.Push(topic, "mute", new { type = "video", muted = true });
        Assert.Equal("ok", muted.Status);
        var heard = await customerSocket.Next(topic, "mute");
        Assert.Equal(attendantId, heard.Text("participant_id"));
        Assert.Equal("video", heard.Text("type"));
        Assert.True(heard.Payload!["muted"]!.GetValue<bool>());

        // The customer's own mute reaches the attendant, who never hears their own back.
        Assert.Equal("ok", (await customerSocket.Push(topic, "mute", new { type = "audio", muted = false })).Status);
        var first = await attendantSocket.Next(topic, "mute");
        Assert.Equal("customer", first.Text("participant_id"));
        Assert.Equal("error", (await customerSocket.Push(topic, "mute", new { type = "screen", muted = true })).Status);

        Assert.Equal("ok", (await attendantSocket.Leave(topic)).Status);
        var left = await customerSocket.Next(topic, "participant_left");
        Assert.Equal(attendantId, left.Text("participant_id"));

        // A socket that just closes leaves too.
        Assert.Equal("ok", (await attendantSocket.Join(topic)).Status);
        await customerSocket.DisposeAsync();
        var gone = await attendantSocket.Next(topic, "participant_left");
        Assert.Equal("customer", gone.Text("participant_id"));
        Assert.Equal("customer", gone.Text("role"));
        await attendantSocket.DisposeAsync();
    }

    [Fact]
    public async Task Signalling_replies_errors_until_the_media_plane_answers_and_accepts_candidates()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var customer = await s.Customer(await s.Department());
        var topic = $"call:{customer.CallId}";
        await using var socket = await PhoenixTestClient.Connect(app, customer.SocketToken);
        Assert.Equal("ok", (await socket.Join(topic)).Status);

        var noSdp = await socket.Push(topic, "signal", new { type = "offer" });
        Assert.Equal("error", noSdp.Status);
        Assert.Equal("sdp is invalid", noSdp.Reason);
        var badType = await socket.Push(topic, "signal", new { type = "pranswer", sdp = "v=0\r\n" });
        Assert.Equal("type must be offer or answer", badType.Reason);

        // Not a usable offer, whatever the media plane: refused with a reason, never a crash.
        var refused = await socket.Push(topic, "signal", new { type = "offer", sdp = "v=0\r\n" });
        Assert.Equal("error", refused.Status);
        Assert.False(string.IsNullOrEmpty(refused.Reason));

        var candidate = await socket.Push(topic, "ice_candidate", new { candidate = "candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host", sdpMid = "0", sdpMLineIndex = 0 });
        Assert.Equal("ok", candidate.Status);
        Assert.Equal("ok", (await socket.Push(topic, "ice_candidate", new { candidate = (string?)null })).Status);
        Assert.Equal("unknown event", (await socket.Push(topic, "dance", new { })).Reason);
        Assert.Equal("ok", (await socket.Heartbeat()).Status);
    }

    [Fact]
    public async Task The_call_hears_it_started_and_ended()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (attendant, attendantId) = await s.Staff("attendant", department);
        var customer = await s.Customer(department);
        var topic = $"call:{customer.CallId}";
        await using var socket = await PhoenixTestClient.Connect(app, customer.SocketToken);
        Assert.Equal("ok", (await socket.Join(topic)).Status);

        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{customer.CallId}/start")).Status);
        Assert.Equal(attendantId, (await socket.Next(topic, "call_assigned")).Text("user_id"));
        var started = await socket.Next(topic, "call_started");
        Assert.Equal("A attendant", started.Text("user_name"));

        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{customer.CallId}/complete", new { })).Status);
        var ended = await socket.Next(topic, "call_ended");
        Assert.Equal(customer.CallId, ended.Text("call_id"));
        Assert.Equal("completed", ended.Text("status"));
    }

    [Fact]
    public async Task A_call_that_is_missed_ends_for_its_customer()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var customer = await s.Customer(await s.Department());
        var topic = $"call:{customer.CallId}";
        await using var socket = await PhoenixTestClient.Connect(app, customer.SocketToken);
        Assert.Equal("ok", (await socket.Join(topic)).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.Anonymous.As(customer.SocketToken, null).Post($"/api/v1/call/leave/{customer.CallId}")).Status);
        Assert.Equal("missed", (await socket.Next(topic, "call_ended")).Text("status"));
    }
}
