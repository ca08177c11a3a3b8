using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>The issue's "done when": a docs-only client walks signup → call completed.</summary>
[Collection(ApiCollection.Name)]
public sealed class CallFlowTests(VokiApp app)
{
    [Fact]
    public async Task A_customer_from_a_link_is_served_from_queue_to_completion()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department(new { department = new { name = "Suporte Técnico", max_queue_size = 5 } });
        var (attendant, attendantId) = await s.Staff("attendant", department);
        var link = await s.Link(department, new { access_link = new { department_id = department, customer_name = "Carlos" } });
        Assert.Equal("active", link["status"]!.GetValue<string>());
        Assert.EndsWith($"/call/{link["token"]}", link["url"]!.GetValue<string>());

        var valid = await s.Anonymous.Get($"/api/v1/call/{link["token"]}/validate");
        Assert.Equal(HttpStatusCode.OK, valid.Status);
        Assert.True(valid.Data["valid"]!.GetValue<bool>());
        Assert.Equal("Suporte Técnico", valid.Data["department_name"]!.GetValue<string>());
        Assert.Equal(0, valid.Data["queue_size"]!.GetValue<int>());

        var joined = await s.Anonymous.Post($"/api/v1/call/{link["token"]}/join", new { name = "Carlos Ferreira", email = "carlos@example.com", reason = "Boleto" });
        Assert.Equal(HttpStatusCode.OK, joined.Status);
        Assert.Equal("queued", joined.Data["status"]!.GetValue<string>());
        Assert.Equal(1, joined.Data["position"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(joined.Data["websocket_token"]!.GetValue<string>()));
        var callId = joined.Data["call_id"]!.GetValue<string>();

        // A single-use link is spent.
        Assert.Equal("used", (await s.Owner.Get($"/api/v1/access-links/{link["id"]}")).Data["status"]!.GetValue<string>());
        var again = await s.Anonymous.Get($"/api/v1/call/{link["token"]}/validate");
        Assert.Equal(HttpStatusCode.NotFound, again.Status);
        Assert.Equal("Invalid or expired access link", again.Detail);

        var queued = await attendant.Get($"/api/v1/calls?status=queued&department_id={department}");
        Assert.Equal(callId, Assert.Single(queued.Data.AsArray())!["id"]!.GetValue<string>());

        var assigned = await attendant.Post($"/api/v1/calls/{callId}/assign", new { });
        Assert.Equal(HttpStatusCode.OK, assigned.Status);
        Assert.Equal("queued", assigned.Data["status"]!.GetValue<string>());
        Assert.Equal(attendantId, assigned.Data["user_id"]!.GetValue<string>());
        Assert.NotNull(assigned.Data["assigned_at"]);

        var early = await attendant.Post($"/api/v1/calls/{callId}/complete", new { });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, early.Status);
        Assert.Contains("queued", early.Detail);

        var started = await attendant.Post($"/api/v1/calls/{callId}/start");
        Assert.Equal(HttpStatusCode.OK, started.Status);
        Assert.Equal("active", started.Data["status"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", started.Data["started_at"]!.GetValue<string>());

        var completed = await attendant.Post($"/api/v1/calls/{callId}/complete", new { call = new { notes = "Segunda via enviada" } });
        Assert.Equal(HttpStatusCode.OK, completed.Status);
        Assert.Equal("completed", completed.Data["status"]!.GetValue<string>());
        Assert.Equal("Segunda via enviada", completed.Data["notes"]!.GetValue<string>());
        Assert.True(completed.Data["duration"]!.GetValue<int>() >= 0);
        Assert.Equal("none", completed.Data["recording_status"]!.GetValue<string>());

        var recording = await attendant.Get($"/api/v1/calls/{callId}/recording");
        Assert.Equal(HttpStatusCode.NotFound, recording.Status);
        Assert.Equal("Recording not found", recording.Detail);

        var customer = s.Anonymous.As(joined.Data["websocket_token"]!.GetValue<string>(), null);
        var status = await customer.Get($"/api/v1/call/status/{callId}");
        Assert.Equal("completed", status.Data["status"]!.GetValue<string>());
        Assert.Equal("A attendant", status.Data["user_name"]!.GetValue<string>());
        var rated = await customer.Post($"/api/v1/call/evaluate/{callId}", new { rating = 5, comment = "Ótimo" });
        Assert.Equal(HttpStatusCode.OK, rated.Status);
        var twice = await customer.Post($"/api/v1/call/evaluate/{callId}", new { rating = 4 });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, twice.Status);
        Assert.Equal(5, (await s.Owner.Get($"/api/v1/calls/{callId}")).Data["rating"]!.GetValue<int>());
    }
}
