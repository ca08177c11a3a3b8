using System.Diagnostics;
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
        var seen = await RunNode("official-client.mjs", arguments.ToJsonString());

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

    private static async Task<JsonNode> RunNode(string script, string argument)
    {
        var folder = Path.Combine(RepositoryRoot(), "tests", "js");
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "phoenix")),
            "tests/js/node_modules/phoenix is missing: ./voki test installs it (npm ci --prefix tests/js)");
        var start = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(argument);
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await node.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            throw;
        }
        Assert.True(node.ExitCode == 0, $"node exited {node.ExitCode}: {await stderr}\n{await stdout}");
        return JsonNode.Parse((await stdout).Trim().Split('\n')[^1])!;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Voki.sln"))) return dir.FullName;
        throw new InvalidOperationException("Voki.sln not found above " + AppContext.BaseDirectory);
    }
}
