using System.Net;
using System.Text.Json.Nodes;
using Npgsql;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Realtime;

/// <summary>
/// The widget's online_agents and estimated_wait_time (reference §2.11) come from presence: the staff connected to the
/// department's presence topic, not its members. estimated_wait_time = ceil(W × p / max(1, online_agents)), W the average
/// wait of the department's last 20 answered calls (180 s before any), p the customer's place in the queue.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class WidgetPresenceTests(VokiApp app)
{
    [Fact]
    public async Task Online_agents_are_the_staff_on_the_departments_presence_topic_and_the_estimate_follows_them()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var other = await s.Department();
        var (ana, _) = await s.Staff("attendant", department);
        var (bruno, _) = await s.Staff("attendant", department);
        var (elsewhere, _) = await s.Staff("attendant", other);
        var token = (await s.Link(department, new { department_id = department, single_use = false }))["token"]!.GetValue<string>();
        var topic = $"presence:{department}";

        // Three members, nobody connected, no call answered yet: W = 180 s for the one who would join now (p = 1).
        await AssertValidate(s, token, online: 0, queue: 0, estimate: 180);

        await using var anaSocket = await PhoenixTestClient.Connect(app, ana.Token!);
        Assert.Equal("ok", (await anaSocket.Join(topic)).Status);
        await AssertValidate(s, token, online: 1, queue: 0, estimate: 180);
        // One person with two consoles open is one agent; someone on another department's topic is none of this one's.
        await using var anaSecondTab = await PhoenixTestClient.Connect(app, ana.Token!);
        Assert.Equal("ok", (await anaSecondTab.Join(topic)).Status);
        await using var elsewhereSocket = await PhoenixTestClient.Connect(app, elsewhere.Token!);
        Assert.Equal("ok", (await elsewhereSocket.Join($"presence:{other}")).Status);
        await AssertValidate(s, token, online: 1, queue: 0, estimate: 180);
        await using var brunoSocket = await PhoenixTestClient.Connect(app, bruno.Token!);
        Assert.Equal("ok", (await brunoSocket.Join(topic)).Status);
        await AssertValidate(s, token, online: 2, queue: 0, estimate: 90); // 180 × 1 / 2

        // 21 answered calls: the oldest waited 1000 s and is not among the last 20, which waited 30 and 90 s alternately: W = 60.
        await using (var db = new NpgsqlConnection(app.ConnectionString))
        {
            await db.OpenAsync();
            await using var insert = new NpgsqlCommand("""
                INSERT INTO calls (tenant, id, status, protocol, department_id, customer_name, wait_time, duration, started_at, completed_at, inserted_at, updated_at)
                SELECT $1, gen_random_uuid(), 'completed', 'W-' || i, $2, 'Earlier customer', CASE WHEN i = 0 THEN 1000 WHEN i % 2 = 0 THEN 30 ELSE 90 END, 120,
                       now() - interval '2 hours' + i * interval '1 minute', now() - interval '1 hour', now() - interval '3 hours' + i * interval '1 minute', now()
                FROM generate_series(0, 20) i
                """, db);
            insert.Parameters.AddWithValue(s.Tenant);
            insert.Parameters.AddWithValue(Guid.Parse(department));
            await insert.ExecuteNonQueryAsync();
        }
        await AssertValidate(s, token, online: 2, queue: 0, estimate: 30); // 60 × 1 / 2

        // Two customers wait; the third to join is p = 3: 60 × 3 / 2 = 90; the first in line (p = 1) sees 30.
        var first = await JoinQueue(s, token, "First Customer");
        await JoinQueue(s, token, "Second Customer");
        await AssertValidate(s, token, online: 2, queue: 2, estimate: 90);
        var third = await JoinQueue(s, token, "Third Customer");
        Assert.Equal(3, third["position"]!.GetValue<int>());
        Assert.Equal(90, third["estimated_wait_time"]!.GetValue<int>());
        var status = (await s.Anonymous.Get($"/api/v1/call/status/{first["call_id"]}")).Data;
        Assert.Equal((1, 30), (status["position"]!.GetValue<int>(), status["estimated_wait_time"]!.GetValue<int>()));

        // Ana closes both consoles: Bruno alone, p = 4 → 60 × 4 = 240; then nobody: online_agents 0, the estimate as for one agent.
        await anaSocket.DisposeAsync();
        await anaSecondTab.DisposeAsync();
        await Eventually.Holds(async () => (await Validate(s, token))["online_agents"]!.GetValue<int>() == 1, TimeSpan.FromSeconds(10), "Ana's sockets leaving");
        await AssertValidate(s, token, online: 1, queue: 3, estimate: 240);
        await brunoSocket.DisposeAsync();
        await Eventually.Holds(async () => (await Validate(s, token))["online_agents"]!.GetValue<int>() == 0, TimeSpan.FromSeconds(10), "Bruno's socket leaving");
        await AssertValidate(s, token, online: 0, queue: 3, estimate: 240);
    }

    private static async Task<JsonNode> Validate(Scenario s, string token)
    {
        var answer = await s.Anonymous.Get($"/api/v1/call/{token}/validate");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        return answer.Data;
    }

    private static async Task AssertValidate(Scenario s, string token, int online, int queue, int estimate)
    {
        var v = await Validate(s, token);
        Assert.Equal((online, queue, estimate),
            (v["online_agents"]!.GetValue<int>(), v["queue_size"]!.GetValue<int>(), v["estimated_wait_time"]!.GetValue<int>()));
    }

    private static async Task<JsonNode> JoinQueue(Scenario s, string token, string name)
    {
        var joined = await s.Anonymous.Post($"/api/v1/call/{token}/join", new { name });
        Assert.Equal(HttpStatusCode.OK, joined.Status);
        return joined.Data;
    }
}
