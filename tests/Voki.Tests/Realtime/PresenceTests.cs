using Microsoft.Extensions.DependencyInjection;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Realtime;

/// <summary>presence:{department_id} in Phoenix Presence's state/diff shape.</summary>
[Collection(ApiCollection.Name)]
public sealed class PresenceTests(VokiApp app)
{
    [Fact]
    public async Task Members_get_the_state_on_join_and_diffs_as_others_come_and_go()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (first, firstId) = await s.Staff("attendant", department);
        var (second, secondId) = await s.Staff("attendant", department);
        var topic = $"presence:{department}";

        await using var a = await PhoenixTestClient.Connect(app, first.Token!);
        Assert.Equal("ok", (await a.Join(topic)).Status);
        var state = await a.Next(topic, "presence_state");
        var own = Assert.Single(state.Payload!.AsObject());
        Assert.Equal(firstId, own.Key);
        var meta = Assert.Single(own.Value!["metas"]!.AsArray())!;
        Assert.False(string.IsNullOrEmpty(meta["phx_ref"]!.GetValue<string>()));
        Assert.Equal("A attendant", meta["name"]!.GetValue<string>());
        Assert.Equal("attendant", meta["role"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", meta["online_at"]!.GetValue<string>());

        var b = await PhoenixTestClient.Connect(app, second.Token!);
        Assert.Equal("ok", (await b.Join(topic)).Status);
        var both = await b.Next(topic, "presence_state");
        Assert.Equal(new[] { firstId, secondId }.Order(), both.Payload!.AsObject().Select(p => p.Key).Order());

        var joined = await a.Next(topic, "presence_diff", f => f.Payload!["joins"]!.AsObject().ContainsKey(secondId));
        Assert.Empty(joined.Payload!["leaves"]!.AsObject());
        var bRef = joined.Payload!["joins"]![secondId]!["metas"]![0]!["phx_ref"]!.GetValue<string>();

        await b.DisposeAsync();
        var left = await a.Next(topic, "presence_diff", f => f.Payload!["leaves"]!.AsObject().ContainsKey(secondId));
        Assert.Equal(bRef, left.Payload!["leaves"]![secondId]!["metas"]![0]!["phx_ref"]!.GetValue<string>());
        Assert.Empty(left.Payload!["joins"]!.AsObject());
    }

    [Fact]
    public async Task An_entry_that_stops_being_refreshed_expires()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var topic = $"presence:{department}";
        await using var socket = await PhoenixTestClient.Connect(app, s.Owner.Token!);
        Assert.Equal("ok", (await socket.Join(topic)).Status);

        // What a socket on a node that crashed leaves behind: an entry nobody refreshes.
        var grain = app.Services.GetRequiredService<IGrainFactory>().GetGrain<IPresenceGrain>($"{s.Tenant}/{department}");
        var ghost = new PresenceMeta { PhxRef = "ghost-ref", Name = "Ghost", Role = "attendant", OnlineAt = "2026-01-01T00:00:00Z" };
        await grain.Track("ghost-user", ghost, TimeSpan.FromSeconds(1));
        await socket.Next(topic, "presence_diff", f => f.Payload!["joins"]!.AsObject().ContainsKey("ghost-user"));
        var expired = await socket.Next(topic, "presence_diff", f => f.Payload!["leaves"]!.AsObject().ContainsKey("ghost-user"));
        Assert.Equal("ghost-ref", expired.Payload!["leaves"]!["ghost-user"]!["metas"]![0]!["phx_ref"]!.GetValue<string>());
        Assert.DoesNotContain(await grain.List(), e => e.Key == "ghost-user");
        Assert.Contains(await grain.List(), e => e.Key == s.OwnerId);
    }
}
