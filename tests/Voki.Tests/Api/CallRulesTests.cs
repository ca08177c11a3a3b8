using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class CallRulesTests(VokiApp app)
{
    [Fact]
    public async Task A_customer_waiting_past_max_wait_time_is_missed()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department(new { name = "Fast", max_wait_time = 2 });
        var callId = (await s.Join(department))["call_id"]!.GetValue<string>();

        string status = "queued";
        for (var i = 0; i < 60 && status == "queued"; i++)
        {
            await Task.Delay(250);
            status = (await s.Anonymous.Get($"/api/v1/call/status/{callId}")).Data["status"]!.GetValue<string>();
        }
        Assert.Equal("missed", status);
        var start = await s.Owner.Post($"/api/v1/calls/{callId}/start");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, start.Status);
        Assert.Equal("Cannot start a call that is missed", start.Detail);
    }

    [Fact]
    public async Task The_customer_leaving_the_queue_marks_the_call_missed_with_their_own_token_only()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var mine = await s.Join(department);
        var other = await s.Join(department, "Someone else");
        var callId = mine["call_id"]!.GetValue<string>();

        var withoutToken = await s.Anonymous.Post($"/api/v1/call/leave/{callId}");
        Assert.Equal(HttpStatusCode.Unauthorized, withoutToken.Status);
        var othersToken = await s.Anonymous.As(other["websocket_token"]!.GetValue<string>(), null).Post($"/api/v1/call/leave/{callId}");
        Assert.Equal(HttpStatusCode.Unauthorized, othersToken.Status);

        var left = await s.Anonymous.As(mine["websocket_token"]!.GetValue<string>(), null).Post($"/api/v1/call/leave/{callId}");
        Assert.Equal(HttpStatusCode.OK, left.Status);
        Assert.Equal("missed", left.Data["status"]!.GetValue<string>());
        // The other customer moves up.
        Assert.Equal(1, (await s.Anonymous.Get($"/api/v1/call/status/{other["call_id"]}")).Data["position"]!.GetValue<int>());
    }

    [Fact]
    public async Task Cancelling_a_link_cancels_its_queued_call_and_staff_cancel_needs_a_supervisor()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var link = await s.Link(department, new { department_id = department, single_use = false });
        var joined = await s.Anonymous.Post($"/api/v1/call/{link["token"]}/join", new { name = "Ana" });
        var callId = joined.Data["call_id"]!.GetValue<string>();

        var cancelled = await s.Owner.Post($"/api/v1/access-links/{link["id"]}/cancel");
        Assert.Equal(HttpStatusCode.OK, cancelled.Status);
        Assert.Equal("cancelled", cancelled.Data["status"]!.GetValue<string>());
        Assert.Equal("cancelled", (await s.Owner.Get($"/api/v1/calls/{callId}")).Data["status"]!.GetValue<string>());
        var twice = await s.Owner.Post($"/api/v1/access-links/{link["id"]}/cancel");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, twice.Status);
        Assert.Contains("cancelled", twice.Detail);
        Assert.Equal(HttpStatusCode.NotFound, (await s.Anonymous.Get($"/api/v1/call/{link["token"]}/validate")).Status);

        var (attendant, _) = await s.Staff("attendant", department);
        var queued = (await s.Join(department))["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Forbidden, (await attendant.Post($"/api/v1/calls/{queued}/cancel")).Status);
        var (supervisor, _) = await s.Staff("supervisor");
        var staffCancel = await supervisor.Post($"/api/v1/calls/{queued}/cancel");
        Assert.Equal(HttpStatusCode.OK, staffCancel.Status);
        Assert.Equal("cancelled", staffCancel.Data["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Plan_limits_concurrent_calls_and_full_queues()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "free");
        var department = await s.Department(new { name = "Only", max_queue_size = 2 });
        var first = (await s.Join(department))["call_id"]!.GetValue<string>();
        var second = (await s.Join(department))["call_id"]!.GetValue<string>();

        var link = await s.Link(department);
        var full = await s.Anonymous.Post($"/api/v1/call/{link["token"]}/join", new { name = "Third" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, full.Status);
        Assert.Contains("Queue is full", full.Detail);

        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/calls/{first}/start")).Status);
        var over = await s.Owner.Post($"/api/v1/calls/{second}/start");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, over.Status);
        Assert.Contains("Concurrent call limit", over.Detail);
        Assert.Equal("queued", (await s.Owner.Get($"/api/v1/calls/{second}")).Data["status"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/calls/{first}/complete")).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/calls/{second}/start")).Status);
    }

    [Fact]
    public async Task An_assigned_call_holds_one_of_the_plans_concurrent_calls()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "free");
        var department = await s.Department();
        var first = (await s.Join(department))["call_id"]!.GetValue<string>();
        var second = (await s.Join(department))["call_id"]!.GetValue<string>();

        // Assigned and not started, the first call has media: the free plan's one call is taken at assign.
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/calls/{first}/assign", new { })).Status);
        var over = await s.Owner.Post($"/api/v1/calls/{second}/assign", new { });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, over.Status);
        Assert.Contains("Concurrent call limit", over.Detail);
        var still = (await s.Owner.Get($"/api/v1/calls/{second}")).Data;
        Assert.Null(still["user_id"]?.GetValue<string>());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await s.Owner.Post($"/api/v1/calls/{second}/start")).Status);

        // Starting the assigned call keeps its own slot; ending it frees the slot for the next one.
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/calls/{first}/start")).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/calls/{first}/complete")).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/calls/{second}/assign", new { })).Status);
    }

    [Fact]
    public async Task Calls_list_filters_by_status_department_agent_date_and_search()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var sales = await s.Department(new { name = "Sales" });
        var support = await s.Department(new { name = "Support" });
        var (attendant, attendantId) = await s.Staff("attendant", support);
        var a = (await s.Join(sales, "Maria Souza"))["call_id"]!.GetValue<string>();
        var b = (await s.Join(support, "João Lima"))["call_id"]!.GetValue<string>();
        await attendant.Post($"/api/v1/calls/{b}/start");

        async Task<string[]> Ids(string query) =>
            (await s.Owner.Get("/api/v1/calls" + query)).Data.AsArray().Select(c => c!["id"]!.GetValue<string>()).ToArray();

        Assert.Equal([a], await Ids("?status=queued"));
        Assert.Equal([b], await Ids("?status=active"));
        Assert.Equal([a], await Ids($"?department_id={sales}"));
        Assert.Equal([b], await Ids($"?user_id={attendantId}"));
        Assert.Equal([a], await Ids("?search=souza"));
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd");
        Assert.Equal(2, (await Ids($"?date_from={today}&date_to={today}")).Length);
        Assert.Empty(await Ids("?date_to=2020-01-01"));
        Assert.Equal([a, b], await Ids("?sort_by=customer_name&sort_order=desc"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await s.Owner.Get("/api/v1/calls?status=ringing")).Status);

        // An attendant of Support sees only Support's calls and their own.
        var visible = (await attendant.Get("/api/v1/calls")).Data.AsArray().Select(c => c!["id"]!.GetValue<string>());
        Assert.Equal([b], visible);
    }
}
