using System.Net;
using System.Text.Json.Nodes;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Realtime;

/// <summary>
/// The compatibility promise for real time: the official <c>phoenix</c> npm client, unchanged, under
/// node, joins <c>call:{id}</c>, hears <c>participant_joined</c>, syncs <c>Presence</c>, and gets its
/// heartbeats answered. The package is installed in tests/js by <c>./voki test</c> (npm ci).
/// </summary>
[Collection(KestrelCollection.Name)]
public sealed class OfficialClientTests(KestrelVokiApp app)
{
    [Fact]
    public async Task The_official_phoenix_client_joins_a_call_and_hears_participant_joined()
    {
        var s = await Scenario.SignUp(new HttpClient { BaseAddress = new Uri(app.BaseUrl) });
        var department = await s.Department();
        var (attendant, attendantId) = await s.Staff("attendant", department);
        var customer = await s.Customer(department, "Beatriz Costa");
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{customer.CallId}/assign", new { })).Status);

        var arguments = new JsonObject
        {
            ["url"] = $"ws://127.0.0.1:{app.Port}/socket",
            ["customerToken"] = customer.SocketToken,
            ["attendantToken"] = attendant.Token,
            ["callId"] = customer.CallId,
            ["departmentId"] = department,
        };
        var seen = await NodeScripts.Run("official-client.mjs", arguments);

        Assert.Equal("customer", seen["joinReply"]!["participant_id"]!.GetValue<string>());
        Assert.Equal(attendantId, seen["joined"]!["participant_id"]!.GetValue<string>());
        Assert.Equal("attendant", seen["joined"]!["role"]!.GetValue<string>());
        Assert.Equal("A attendant", seen["joined"]!["name"]!.GetValue<string>());
        Assert.Equal(attendantId, seen["online"]![0]!["id"]!.GetValue<string>());
        Assert.Equal(attendantId, seen["mute"]!["participant_id"]!.GetValue<string>());
        Assert.Equal("error", seen["refusal"]!["status"]!.GetValue<string>());
        Assert.True(seen["latency"]!.GetValue<double>() >= 0);
        Assert.Equal(attendantId, seen["left"]!["participant_id"]!.GetValue<string>());
    }
}
