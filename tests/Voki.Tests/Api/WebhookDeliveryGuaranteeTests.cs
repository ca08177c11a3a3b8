using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Voki.Api.Webhooks;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>A node that refuses non-public webhook targets (the production default) and resolves names through <see cref="ScriptedDns"/>.</summary>
public sealed class PublicTargetsOnlyVokiApp : WebhookVokiApp
{
    public ScriptedDns Dns { get; } = new();

    protected override IDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["Webhooks:AllowPrivateTargets"] = "false",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<WebhookAddressResolver>(Dns));
    }
}

/// <summary>A DNS whose answers the test writes: each name gives its answers in turn, the last one from then on.</summary>
public sealed class ScriptedDns : WebhookAddressResolver
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<IPAddress[]>> _answers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, IPAddress[]> _last = new(StringComparer.OrdinalIgnoreCase);

    public void Answer(string host, params string[][] answers) =>
        _answers[host] = new ConcurrentQueue<IPAddress[]>(answers.Select(a => a.Select(IPAddress.Parse).ToArray()));

    public override Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellation)
    {
        if (_answers.TryGetValue(host, out var queue) && queue.TryDequeue(out var next)) _last[host] = next;
        return _last.TryGetValue(host, out var answer) ? Task.FromResult(answer) : throw new SocketException((int)SocketError.HostNotFound);
    }
}

/// <summary>
/// Webhook targets on loopback or private addresses are refused (SSRF): when the webhook is saved, and when a delivery
/// connects, on what the name resolves to then.
/// </summary>
public sealed class WebhookTargetTests(PublicTargetsOnlyVokiApp app) : IClassFixture<PublicTargetsOnlyVokiApp>
{
    private const string NonPublic = "must not point to a loopback, private or otherwise non-public address";

    [Fact]
    public async Task Loopback_private_link_local_and_other_non_public_targets_are_refused_when_a_webhook_is_saved()
    {
        var s = await Scenario.SignUp(app.CreateClient(), "advanced");
        app.Dns.Answer("inward.example", ["192.168.1.10"]);
        app.Dns.Answer("mixed.example", ["93.184.215.14", "10.0.0.7"]);
        app.Dns.Answer("outward.example", ["93.184.215.14"]);
        var refusals = new Dictionary<string, string>
        {
            ["http://127.0.0.1:8080/hook"] = NonPublic,
            ["http://10.1.2.3/hook"] = NonPublic,
            ["http://172.20.0.1/hook"] = NonPublic,
            ["http://169.254.169.254/latest/meta-data"] = NonPublic,
            ["http://100.64.0.1/hook"] = NonPublic,
            ["http://0.0.0.0/hook"] = NonPublic,
            ["http://[::1]/hook"] = NonPublic,
            ["http://[::ffff:127.0.0.1]/hook"] = NonPublic,
            ["http://[fd00::1]/hook"] = NonPublic,
            ["http://[fe80::1]/hook"] = NonPublic,
            ["https://inward.example/hook"] = NonPublic,
            ["https://mixed.example/hook"] = NonPublic,
            ["https://nowhere.example/hook"] = "has a host that could not be resolved",
        };
        foreach (var (url, message) in refusals)
        {
            var refused = await s.Owner.Post("/api/v1/webhooks", new { url, events = new[] { "call.missed" } });
            Assert.True(refused.Status == HttpStatusCode.UnprocessableEntity, $"{url}: {(int)refused.Status} {refused.Body}");
            Assert.Equal([message], refused.FieldErrors("url"));
        }

        var created = await s.Owner.Post("/api/v1/webhooks", new { url = "https://outward.example/hook", events = new[] { "call.missed" } });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var literal = await s.Owner.Post("/api/v1/webhooks", new { url = "https://93.184.215.14/hook", events = new[] { "call.missed" } });
        Assert.Equal(HttpStatusCode.Created, literal.Status);
        var moved = await s.Owner.Put($"/api/v1/webhooks/{created.Id}", new { url = "http://127.0.0.1/hook" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, moved.Status);
        Assert.Equal([NonPublic], moved.FieldErrors("url"));
        Assert.Equal("https://outward.example/hook", (await s.Owner.Get($"/api/v1/webhooks/{created.Id}")).Data["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_name_that_resolves_inward_by_the_time_a_delivery_connects_is_refused_then()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var s = await Scenario.SignUp(app.CreateClient(), "advanced");
        // Public while the webhook is saved, then the receiver's loopback address (DNS rebinding).
        app.Dns.Answer("rebind.example", ["93.184.215.14"], ["127.0.0.1"]);
        var created = await s.Owner.Post("/api/v1/webhooks", new { url = $"http://rebind.example:{receiver.Port}/hook", events = new[] { "call.created" } });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(HttpStatusCode.Accepted, (await s.Owner.Post($"/api/v1/webhooks/{created.Id}/test")).Status);

        string? error = null;
        await Eventually.Holds(async () =>
        {
            var log = await s.Owner.Get($"/api/v1/webhooks/{created.Id}/deliveries");
            error = log.Data[0]?["last_error"]?.GetValue<string>();
            return error is not null;
        }, TimeSpan.FromSeconds(20), "a refused attempt");
        Assert.Equal("refused: rebind.example resolves to a non-public address (127.0.0.1)", error);
        await Task.Delay(500);
        Assert.Empty(receiver.Received);
    }
}

/// <summary>A node on a database the test keeps, retrying for two minutes: it can stop and another start on the same data.</summary>
public sealed class RestartableWebhookNode(TestDatabase database) : WebhookVokiApp(database)
{
    protected override TimeSpan RetryFor => TimeSpan.FromMinutes(2);
}

/// <summary>The outbox is in PostgreSQL: a delivery being retried when its node stops is carried on by the next node.</summary>
public sealed class WebhookRestartTests
{
    [Fact]
    public async Task A_node_restart_in_the_middle_of_retries_loses_no_event_and_keeps_their_order()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var receiverUp = false;
        receiver.Respond = (_, _) => Task.FromResult(receiverUp ? 200 : 500);

        var first = new RestartableWebhookNode(database);
        await first.InitializeAsync();
        var s = await Scenario.SignUp(first.CreateClient(), "advanced");
        var webhook = await s.Owner.Post("/api/v1/webhooks", new { url = receiver.Url(), events = new[] { "call.created", "call.assigned" }, secret = "restart-secret-0123456789" });
        Assert.Equal(HttpStatusCode.Created, webhook.Status);
        var callId = (await s.Join(await s.Department()))["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/calls/{callId}/assign", new { })).Status);
        await Eventually.Holds(() => receiver.Received.Count >= 2, TimeSpan.FromSeconds(20), "two failed attempts");
        await ((IAsyncLifetime)first).DisposeAsync();
        var createdEventId = receiver.Received[0].EventId;
        var attemptsBefore = receiver.Received.Count;
        Assert.All(receiver.Received, r => Assert.Equal("call.created", r.Event));

        receiverUp = true;
        var second = new RestartableWebhookNode(database);
        await second.InitializeAsync();
        try
        {
            var owner = new ApiClient(second.CreateClient()).As(s.Owner.Token, s.Tenant);
            await Eventually.Holds(() => receiver.Accepted.Count == 2, TimeSpan.FromSeconds(30), "both events delivered by the new node");
            Assert.Equal(["call.created", "call.assigned"], receiver.Accepted.OrderBy(r => r.At).Select(r => r.Event));
            Assert.Equal(createdEventId, receiver.Accepted[0].EventId);
            Assert.All(receiver.Received, r => Assert.True(r.SignatureVerifies("restart-secret-0123456789")));

            var log = await owner.Get($"/api/v1/webhooks/{webhook.Id}/deliveries?event_id={createdEventId}");
            var created = Assert.Single(log.Data.AsArray())!;
            Assert.Equal("delivered", created["status"]!.GetValue<string>());
            // An attempt cut off by the stop is not in the log (its claim rolled back) and was made again: at least once.
            var statuses = created["attempts"]!.AsArray().Select(a => a!["status_code"]?.GetValue<int>()).ToList();
            Assert.InRange(statuses.Count, attemptsBefore, attemptsBefore + 1);
            Assert.Equal(statuses.Count, created["attempt_count"]!.GetValue<int>());
            Assert.Equal(200, statuses[^1]);
            Assert.All(statuses[..^1], status => Assert.Equal(500, status));
        }
        finally
        {
            await ((IAsyncLifetime)second).DisposeAsync();
        }
    }
}

/// <summary>Every node runs a dispatcher; the row lock each keeps while it sends means no event is sent twice by two of them.</summary>
public sealed class WebhookTwoDispatcherTests
{
    [Fact]
    public async Task Two_nodes_dispatching_the_same_outbox_send_each_event_once()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = async (_, _) =>
        {
            await Task.Delay(30); // a receiver that takes its time widens the window for a double send
            return 200;
        };
        var first = new RestartableWebhookNode(database);
        await first.InitializeAsync();
        var second = new RestartableWebhookNode(database);
        await second.InitializeAsync();
        try
        {
            var s = await Scenario.SignUp(first.CreateClient(), "enterprise");
            var webhook = await s.Owner.Post("/api/v1/webhooks", new { url = receiver.Url(), events = new[] { "call.created", "customer.created" } });
            Assert.Equal(HttpStatusCode.Created, webhook.Status);
            var department = await s.Department();
            var viaSecond = new ApiClient(second.CreateClient());
            const int calls = 30;
            for (var i = 0; i < calls; i++)
            {
                var link = await s.Link(department);
                var joined = await (i % 2 == 0 ? s.Anonymous : viaSecond).Post($"/api/v1/call/{link["token"]}/join",
                    new { name = $"Customer {i}", email = $"customer-{i}@example.com" });
                Assert.Equal(HttpStatusCode.OK, joined.Status);
            }

            await Eventually.Holds(() => receiver.Received.Count >= 2 * calls, TimeSpan.FromSeconds(60), "every event");
            await Task.Delay(1000);
            var received = receiver.Received;
            Assert.Equal(2 * calls, received.Count);
            Assert.Equal(2 * calls, received.Select(r => r.EventId).Distinct().Count());
            var log = await s.Owner.Get($"/api/v1/webhooks/{webhook.Id}/deliveries?page_size=100");
            Assert.Equal(2 * calls, log.Body!["meta"]!["total_count"]!.GetValue<int>());
            Assert.All(log.Data.AsArray(), d => Assert.Equal(1, d!["attempt_count"]!.GetValue<int>()));
        }
        finally
        {
            await ((IAsyncLifetime)second).DisposeAsync();
            await ((IAsyncLifetime)first).DisposeAsync();
        }
    }
}

/// <summary>A node killed (SIGKILL) while it sends a delivery: its claim dies with its connection, and the next node sends it again.</summary>
public sealed class WebhookCrashTests
{
    private static Dictionary<string, string> Settings => new()
    {
        ["Webhooks:AllowPrivateTargets"] = "true",
        ["Webhooks:Timeout"] = "00:01:00",
        ["Webhooks:FirstRetryDelay"] = "00:00:00.200",
        ["Webhooks:PollInterval"] = "00:00:00.100",
    };

    [Fact]
    public async Task A_delivery_in_flight_when_its_node_is_killed_is_sent_again_by_the_next_node()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Respond = async (_, attempt) =>
        {
            if (attempt > 1) return 200;
            held.TrySetResult();
            await release.Task; // the first attempt is still waiting for its answer when the node dies
            return 200;
        };

        var first = Voki.Tests.Cluster.NodeProcess.Start(database.ConnectionString, database.Name, Settings);
        string webhookId;
        Scenario s;
        try
        {
            await first.WaitReadyAsync(TimeSpan.FromSeconds(90));
            s = await Scenario.SignUp(new HttpClient { BaseAddress = first.BaseAddress }, "advanced");
            var webhook = await s.Owner.Post("/api/v1/webhooks", new { url = receiver.Url(), events = new[] { "call.created" } });
            Assert.Equal(HttpStatusCode.Created, webhook.Status);
            webhookId = webhook.Id;
            await s.Join(await s.Department());
            await held.Task.WaitAsync(TimeSpan.FromSeconds(30));
            first.Crash();
        }
        finally
        {
            await first.DisposeAsync();
        }
        release.TrySetResult();

        await using var second = Voki.Tests.Cluster.NodeProcess.Start(database.ConnectionString, database.Name, Settings);
        await second.WaitReadyAsync(TimeSpan.FromSeconds(90));
        var owner = new ApiClient(new HttpClient { BaseAddress = second.BaseAddress }).As(s.Owner.Token, s.Tenant);
        JsonNode? delivery = null;
        await Eventually.Holds(async () =>
        {
            var log = await owner.Get($"/api/v1/webhooks/{webhookId}/deliveries");
            delivery = Assert.Single(log.Data.AsArray());
            return delivery!["status"]!.GetValue<string>() == "delivered";
        }, TimeSpan.FromSeconds(60), "the delivery sent again by the next node");
        await Eventually.Holds(() => receiver.Received.Count == 2, TimeSpan.FromSeconds(10), "both arrivals recorded");
        var arrivals = receiver.Received.ToList();
        Assert.Single(arrivals.Select(r => r.EventId).Distinct());
        Assert.Single(arrivals.Select(r => r.Body).Distinct());
        // The killed attempt left nothing behind: its claim's transaction died with the node's connection.
        Assert.Equal(1, delivery!["attempt_count"]!.GetValue<int>());
        Assert.Equal(arrivals[0].EventId, delivery["event_id"]!.GetValue<string>());
    }
}
