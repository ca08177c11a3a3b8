using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Realtime;

/// <summary>Sockets on different nodes of one cluster hear the same events (architecture.md: events travel by Orleans streams).</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterRealtimeTests(TwoNodeCluster cluster)
{
    [Fact]
    public async Task Events_reach_sockets_on_every_node()
    {
        var s = await Scenario.SignUp(cluster.First.CreateClient());
        var department = await s.Department();
        var (attendant, attendantId) = await s.Staff("attendant", department);
        var queue = $"queue:{department}";
        var presence = $"presence:{department}";

        await using var attendantOnFirst = await PhoenixTestClient.Connect(cluster.First, attendant.Token!);
        await using var ownerOnSecond = await PhoenixTestClient.Connect(cluster.Second, s.Owner.Token!);
        Assert.Equal("ok", (await attendantOnFirst.Join(queue)).Status);
        Assert.Equal("ok", (await ownerOnSecond.Join(queue)).Status);
        Assert.Equal("ok", (await ownerOnSecond.Join(presence)).Status);
        Assert.Equal("ok", (await attendantOnFirst.Join(presence)).Status);
        await ownerOnSecond.Next(presence, "presence_diff", f => f.Payload!["joins"]!.AsObject().ContainsKey(attendantId));

        // The customer arrives through the second node; both nodes' sockets hear it.
        var secondHttp = new ApiClient(cluster.Second.CreateClient());
        var link = await s.Link(department);
        var join = await secondHttp.Post($"/api/v1/call/{link["token"]}/join", new { name = "Rita Alves" });
        Assert.Equal(HttpStatusCode.OK, join.Status);
        var callId = join.Data["call_id"]!.GetValue<string>();
        Assert.Equal(callId, (await attendantOnFirst.Next(queue, "customer_joined")).Text("call_id"));
        Assert.Equal(callId, (await ownerOnSecond.Next(queue, "customer_joined")).Text("call_id"));

        var call = $"call:{callId}";
        await using var customerOnSecond = await PhoenixTestClient.Connect(cluster.Second, join.Data["websocket_token"]!.GetValue<string>());
        Assert.Equal("ok", (await customerOnSecond.Join(call)).Status);
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/assign", new { })).Status);
        Assert.Equal(attendantId, (await ownerOnSecond.Next(queue, "call_assigned")).Text("user_id"));
        Assert.Equal("ok", (await attendantOnFirst.Join(call)).Status);
        Assert.Equal(attendantId, (await customerOnSecond.Next(call, "participant_joined")).Text("participant_id"));

        Assert.Equal("ok", (await customerOnSecond.Push(call, "mute", new { type = "audio", muted = true })).Status);
        Assert.Equal("customer", (await attendantOnFirst.Next(call, "mute")).Text("participant_id"));

        var attendantViaSecond = secondHttp.As(attendant.Token, s.Tenant);
        Assert.Equal(HttpStatusCode.OK, (await attendantViaSecond.Post($"/api/v1/calls/{callId}/start")).Status);
        Assert.Equal(HttpStatusCode.OK, (await attendantViaSecond.Post($"/api/v1/calls/{callId}/complete", new { })).Status);
        Assert.Equal("completed", (await customerOnSecond.Next(call, "call_ended")).Text("status"));
        Assert.Equal("completed", (await attendantOnFirst.Next(call, "call_ended")).Text("status"));
    }
}
