using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Realtime;

/// <summary>queue:{department_id} hears customers arrive, get taken and leave (reference §3.2, §3.4).</summary>
[Collection(ApiCollection.Name)]
public sealed class QueueEventTests(VokiApp app)
{
    [Fact]
    public async Task The_queue_hears_customer_joined_then_call_assigned()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (attendant, attendantId) = await s.Staff("attendant", department);
        await using var socket = await PhoenixTestClient.Connect(app, attendant.Token!);
        var topic = $"queue:{department}";
        Assert.Equal("ok", (await socket.Join(topic)).Status);

        var customer = await s.Customer(department, "Maria Souza");
        var joined = await socket.Next(topic, "customer_joined");
        Assert.Null(joined.Ref);
        Assert.Equal(customer.CallId, joined.Text("call_id"));
        Assert.Equal("Maria Souza", joined.Text("customer_name"));
        Assert.Equal(1, joined.Payload!["position"]!.GetValue<int>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", joined.Text("inserted_at"));

        // Queue order has second precision (ties go by call id), so a customer joining in the same second may rank first.
        var second = await s.Customer(department, "João Lima");
        var position = (await socket.Next(topic, "customer_joined", f => f.Text("call_id") == second.CallId)).Payload!["position"]!.GetValue<int>();
        Assert.InRange(position, 1, 2);

        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{customer.CallId}/assign", new { })).Status);
        var assigned = await socket.Next(topic, "call_assigned");
        Assert.Equal(customer.CallId, assigned.Text("call_id"));
        Assert.Equal(attendantId, assigned.Text("user_id"));
        Assert.Equal("A attendant", assigned.Text("user_name"));

        // start assigns the caller when nobody is assigned: the queue hears that too.
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{second.CallId}/start")).Status);
        Assert.Equal(attendantId, (await socket.Next(topic, "call_assigned", f => f.Text("call_id") == second.CallId)).Text("user_id"));
    }

    [Fact]
    public async Task The_queue_hears_customer_left_when_a_queued_call_is_missed_or_cancelled()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        await using var socket = await PhoenixTestClient.Connect(app, s.Owner.Token!);
        var topic = $"queue:{department}";
        Assert.Equal("ok", (await socket.Join(topic)).Status);

        var leaving = await s.Customer(department);
        var leave = await s.Anonymous.As(leaving.SocketToken, null).Post($"/api/v1/call/leave/{leaving.CallId}");
        Assert.Equal(HttpStatusCode.OK, leave.Status);
        var left = await socket.Next(topic, "customer_left");
        Assert.Equal(leaving.CallId, left.Text("call_id"));
        Assert.Equal("missed", left.Text("status"));

        var cancelled = await s.Customer(department);
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/calls/{cancelled.CallId}/cancel")).Status);
        var gone = await socket.Next(topic, "customer_left", f => f.Text("call_id") == cancelled.CallId);
        Assert.Equal("cancelled", gone.Text("status"));
    }
}
