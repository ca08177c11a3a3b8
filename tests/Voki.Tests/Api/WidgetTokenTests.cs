using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>
/// decisions.md "Widget tokens": the customer's websocket_token is the Bearer token of the widget routes that act for the
/// customer; a call id alone (it travels in URLs and console screens) rates nothing and learns no attendant's name.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class WidgetTokenTests(VokiApp app)
{
    /// <summary>A call its attendant took, and another customer still waiting in the same queue.</summary>
    private async Task<(Scenario S, ApiClient Attendant, System.Text.Json.Nodes.JsonNode Joined, string CallId, System.Text.Json.Nodes.JsonNode Other)> AssignedCall()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (attendant, _) = await s.Staff("attendant", department);
        var joined = await s.Join(department);
        var callId = joined["call_id"]!.GetValue<string>();
        var other = await s.Join(department, "Someone Else");
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/assign", new { })).Status);
        return (s, attendant, joined, callId, other);
    }

    [Fact]
    public async Task Only_the_calls_own_customer_token_rates_it()
    {
        var (s, attendant, joined, callId, other) = await AssignedCall();
        await attendant.Post($"/api/v1/calls/{callId}/start");
        await attendant.Post($"/api/v1/calls/{callId}/complete", new { });

        var anonymous = await s.Anonymous.Post($"/api/v1/call/evaluate/{callId}", new { rating = 1 });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        Assert.Equal("Unauthorized", anonymous.Detail);
        var othersToken = await s.Anonymous.As(other["websocket_token"]!.GetValue<string>(), null).Post($"/api/v1/call/evaluate/{callId}", new { rating = 1 });
        Assert.Equal(HttpStatusCode.Unauthorized, othersToken.Status);
        var staffToken = await attendant.Post($"/api/v1/call/evaluate/{callId}", new { rating = 1 });
        Assert.Equal(HttpStatusCode.Unauthorized, staffToken.Status);
        Assert.Null((await s.Owner.Get($"/api/v1/calls/{callId}")).Data["rating"]);

        var own = await s.Anonymous.As(joined["websocket_token"]!.GetValue<string>(), null).Post($"/api/v1/call/evaluate/{callId}", new { rating = 4 });
        Assert.Equal(HttpStatusCode.OK, own.Status);
        Assert.Equal(4, (await s.Owner.Get($"/api/v1/calls/{callId}")).Data["rating"]!.GetValue<int>());
    }

    [Fact]
    public async Task Status_is_open_but_names_the_attendant_only_to_the_customer()
    {
        var (s, _, joined, callId, other) = await AssignedCall();

        var open = await s.Anonymous.Get($"/api/v1/call/status/{callId}");
        Assert.Equal(HttpStatusCode.OK, open.Status);
        Assert.Equal("queued", open.Data["status"]!.GetValue<string>());
        Assert.Null(open.Data["user_name"]);
        var othersToken = await s.Anonymous.As(other["websocket_token"]!.GetValue<string>(), null).Get($"/api/v1/call/status/{callId}");
        Assert.Null(othersToken.Data["user_name"]);
        var own = await s.Anonymous.As(joined["websocket_token"]!.GetValue<string>(), null).Get($"/api/v1/call/status/{callId}");
        Assert.Equal("A attendant", own.Data["user_name"]!.GetValue<string>());
    }
}
