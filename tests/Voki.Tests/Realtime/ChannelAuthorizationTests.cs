using Voki.Tests.Infrastructure;

namespace Voki.Tests.Realtime;

/// <summary>Who may join which topic (reference §3.2), inside the token's tenant.</summary>
[Collection(ApiCollection.Name)]
public sealed class ChannelAuthorizationTests(VokiApp app)
{
    [Fact]
    public async Task A_customer_token_admits_only_its_own_call()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var mine = await s.Customer(department);
        var other = await s.Customer(department, "Someone Else");
        await using var socket = await PhoenixTestClient.Connect(app, mine.SocketToken);

        var own = await socket.Join($"call:{mine.CallId}");
        Assert.Equal("ok", own.Status);
        Assert.Equal("customer", own.Response["participant_id"]!.GetValue<string>());
        Assert.Equal("customer", own.Response["role"]!.GetValue<string>());
        Assert.Equal("Carlos Ferreira", own.Response["name"]!.GetValue<string>());

        foreach (var topic in new[] { $"call:{other.CallId}", $"queue:{department}", $"presence:{department}", $"notification:{s.OwnerId}" })
        {
            var refused = await socket.Join(topic);
            Assert.Equal("error", refused.Status);
            Assert.Equal("unauthorized", refused.Reason);
        }
    }

    [Fact]
    public async Task Department_topics_admit_members_and_supervisors_only()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var sales = await s.Department();
        var support = await s.Department();
        var (salesAttendant, _) = await s.Staff("attendant", sales);
        var (supportAttendant, _) = await s.Staff("attendant", support);
        var (supervisor, _) = await s.Staff("supervisor");

        await using var outsider = await PhoenixTestClient.Connect(app, salesAttendant.Token!);
        foreach (var topic in new[] { $"queue:{support}", $"presence:{support}" })
        {
            var refused = await outsider.Join(topic);
            Assert.Equal("error", refused.Status);
            Assert.Equal("unauthorized", refused.Reason);
        }
        Assert.Equal("ok", (await outsider.Join($"queue:{sales}")).Status);

        await using var member = await PhoenixTestClient.Connect(app, supportAttendant.Token!);
        Assert.Equal("ok", (await member.Join($"queue:{support}")).Status);
        Assert.Equal("ok", (await member.Join($"presence:{support}")).Status);

        await using var boss = await PhoenixTestClient.Connect(app, supervisor.Token!);
        Assert.Equal("ok", (await boss.Join($"queue:{sales}")).Status);
        Assert.Equal("ok", (await boss.Join($"presence:{support}")).Status);
        Assert.Equal("unauthorized", (await boss.Join($"queue:{Guid.NewGuid()}")).Reason);
    }

    [Fact]
    public async Task Notifications_and_calls_are_personal()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (attendant, attendantId) = await s.Staff("attendant", department);
        var (colleague, colleagueId) = await s.Staff("attendant", department);
        var customer = await s.Customer(department);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{customer.CallId}/assign", new { })).Status);

        await using var socket = await PhoenixTestClient.Connect(app, colleague.Token!);
        Assert.Equal("ok", (await socket.Join($"notification:{colleagueId}")).Status);
        Assert.Equal("unauthorized", (await socket.Join($"notification:{attendantId}")).Reason);
        Assert.Equal("unauthorized", (await socket.Join($"call:{customer.CallId}")).Reason);

        await using var assigned = await PhoenixTestClient.Connect(app, attendant.Token!);
        var joined = await assigned.Join($"call:{customer.CallId}");
        Assert.Equal("ok", joined.Status);
        Assert.Equal("attendant", joined.Response["role"]!.GetValue<string>());
        Assert.Equal(attendantId, joined.Response["participant_id"]!.GetValue<string>());

        await using var owner = await PhoenixTestClient.Connect(app, s.Owner.Token!);
        var monitoring = await owner.Join($"call:{customer.CallId}");
        Assert.Equal("ok", monitoring.Status);
        Assert.Equal("supervisor", monitoring.Response["role"]!.GetValue<string>());
    }

    [Fact]
    public async Task Another_tenants_call_is_unknown()
    {
        var first = await Scenario.SignUp(app.CreateClient());
        var second = await Scenario.SignUp(app.CreateClient());
        var customer = await first.Customer(await first.Department());
        await using var socket = await PhoenixTestClient.Connect(app, second.Owner.Token!);
        Assert.Equal("unauthorized", (await socket.Join($"call:{customer.CallId}")).Reason);
    }
}
