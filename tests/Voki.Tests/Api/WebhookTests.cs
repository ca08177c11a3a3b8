using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Tests.Infrastructure;
using Voki.Tests.Transcription;

namespace Voki.Tests.Api;

/// <summary>
/// A node whose webhook retries come fast (a first retry after 0.2 s, at most 1 s apart, for 4 s; 1 s per attempt), with
/// the instant composer and scripted transcriber of <see cref="TranscribingVokiApp"/>, so a call gets its recording and
/// transcript without media.
/// </summary>
public class WebhookVokiApp : VokiApp
{
    public WebhookVokiApp() { }

    protected WebhookVokiApp(TestDatabase database) : base(database) { }

    protected virtual TimeSpan RetryFor => TimeSpan.FromSeconds(4);

    protected override IDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["Webhooks:FirstRetryDelay"] = "00:00:00.200",
        ["Webhooks:MaxRetryDelay"] = "00:00:01",
        ["Webhooks:RetryFor"] = RetryFor.ToString(),
        ["Webhooks:Timeout"] = "00:00:01",
        ["Webhooks:PollInterval"] = "00:00:00.100",
        ["Transcription:ModelPath"] = TranscriptionFixtures.HeaderOnlyModel,
        ["Transcription:AllowWeightlessModel"] = "true",
        ["Transcription:Threads"] = "1",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IRecordingComposer, InstantComposer>();
            services.AddSingleton<ICallTranscriber, ScriptedTranscriber>();
        });
    }
}

/// <summary>
/// Outgoing webhooks (reference §2.15, decisions.md "Webhooks") against a real HTTP receiver: what is delivered, signed
/// how, in which order, retried how, and what the configuration API and the delivery log show.
/// </summary>
public sealed class WebhookTests(WebhookVokiApp app) : IClassFixture<WebhookVokiApp>
{
    private const string Secret = "receiver-shared-secret-0123456789";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private async Task<(Scenario Tenant, string Webhook)> Subscribed(WebhookReceiver receiver, string[]? events = null, string plan = "advanced")
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan);
        var created = await s.Owner.Post("/api/v1/webhooks", new { webhook = new { url = receiver.Url(), events = events ?? AllEvents, secret = Secret } });
        Assert.True(created.Status == HttpStatusCode.Created, $"{(int)created.Status} {created.Body}");
        return (s, created.Id);
    }

    /// <summary>Every event but customer.created, whose order against a call's events is not defined (another ordering key).</summary>
    private static readonly string[] AllEvents =
    [
        "call.created", "call.assigned", "call.started", "call.completed", "call.missed", "call.cancelled",
        "recording.ready", "recording.failed", "transcription.completed", "transcription.failed",
    ];

    [Fact]
    public async Task A_receiver_gets_every_event_of_a_recorded_transcribed_call_signed_and_in_order()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (s, _) = await Subscribed(receiver);
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put("/api/v1/company", new { company = new { recording_enabled = true, transcription_enabled = true } })).Status);
        var department = await s.Department();
        var (attendant, attendantId) = await s.Staff("attendant", department);
        var callId = (await s.Join(department))["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/assign", new { })).Status);
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/start")).Status);
        var tag = await s.Owner.Post("/api/v1/tags", new { tag = new { name = "Billing" } });
        Assert.Equal(HttpStatusCode.Created, tag.Status);
        Assert.True((await attendant.Post($"/api/v1/calls/{callId}/tags", new { tag_id = tag.Id })).Status is HttpStatusCode.OK or HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/complete", new { notes = "Solved" })).Status);
        await Record(s.Tenant, callId);

        string[] expected = ["call.created", "call.assigned", "call.started", "call.completed", "recording.ready", "transcription.completed"];
        await Eventually.Holds(() => receiver.Accepted.Count >= expected.Length, Wait, "six deliveries");
        await Task.Delay(300); // nothing else arrives
        var received = receiver.Accepted.OrderBy(r => r.At).ToList();
        Assert.Equal(expected, received.Select(r => r.Event));
        foreach (var r in received)
        {
            Assert.True(r.SignatureVerifies(Secret), $"{r.Event}: X-Voki-Signature {r.Header("X-Voki-Signature")} does not verify");
            Assert.True(r.TimestampSignatureVerifies(Secret), $"{r.Event}: X-Voki-Timestamp-Signature does not verify");
            Assert.False(r.SignatureVerifies("another-secret-0123456789"));
            Assert.StartsWith("application/json", r.Header("Content-Type"));
            Assert.Equal(r.EventId, r.Header("X-Voki-Event-Id"));
            Assert.Equal(r.Event, r.Header("X-Voki-Event"));
            Assert.InRange(long.Parse(r.Header("X-Voki-Timestamp")), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
            var json = r.Json.AsObject();
            Assert.Equal(["id", "event", "timestamp", "tenant", "data"], json.Select(p => p.Key));
            Assert.Equal(s.Tenant, json["tenant"]!.GetValue<string>());
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", json["timestamp"]!.GetValue<string>());
        }
        Assert.Equal(expected.Length, received.Select(r => r.EventId).Distinct().Count());

        // The data is the resource's documented object: the call as GET /api/v1/calls/:id shows it at that moment.
        var data = received.ToDictionary(r => r.Event, r => r.Json["data"]!);
        Assert.Equal("queued", data["call.created"]["status"]!.GetValue<string>());
        Assert.Null(data["call.created"]["user_id"]);
        Assert.Equal(attendantId, data["call.assigned"]["user_id"]!.GetValue<string>());
        Assert.Equal("active", data["call.started"]["status"]!.GetValue<string>());
        var completed = (await s.Owner.Get($"/api/v1/calls/{callId}")).Data;
        Assert.Equal("completed", data["call.completed"]["status"]!.GetValue<string>());
        foreach (var field in new[] { "id", "protocol", "department_id", "user_id", "customer_name", "notes", "duration", "started_at", "completed_at", "inserted_at", "tags", "manager_notes" })
            Assert.Equal(completed[field]?.ToJsonString(), data["call.completed"][field]?.ToJsonString());
        Assert.Equal("Billing", data["call.completed"]["tags"]![0]!["name"]!.GetValue<string>());
        var recording = (await s.Owner.Get($"/api/v1/calls/{callId}/recording")).Data;
        foreach (var field in new[] { "id", "call_id", "format", "duration", "file_size", "download_url", "created_at" })
            Assert.Equal(recording[field]!.ToJsonString(), data["recording.ready"][field]!.ToJsonString());
        var transcript = data["transcription.completed"];
        Assert.Equal(callId, transcript["call_id"]!.GetValue<string>());
        Assert.Equal("completed", transcript["status"]!.GetValue<string>());
        Assert.Equal("Bom dia, em que posso ajudar?", transcript["segments"]![0]!["text"]!.GetValue<string>());
    }

    /// <summary>Hands a capture to the call's recording grain, as the call grain does when media was captured; the transcriber answers at once.</summary>
    private async Task Record(string tenant, string callId)
    {
        var dir = Path.Combine(app.RecordingsRoot, tenant, callId);
        var capture = new CaptureBuilder(Path.Combine(dir, "capture")).Join("u-1", "Ana Souza", "attendant").Join("customer", "Carlos", "customer").Write();
        ScriptedTranscriber.Script(capture, _ => Task.FromResult(new CallTranscript("pt-BR",
            [new TranscriptSegment { Start = 0.5, End = 2, Speaker = "attendant", SpeakerName = "Ana Souza", Text = "Bom dia, em que posso ajudar?" }], 2)));
        await app.Services.GetRequiredService<IGrainFactory>().GetGrain<IRecordingGrain>($"{tenant}/{callId}").Begin(new RecordingRequest
        {
            CaptureDirectory = capture,
            OutputPath = Path.Combine(dir, "recording.webm"),
            RetentionDays = 90,
        });
    }

    [Fact]
    public async Task Missed_and_cancelled_calls_are_delivered_to_the_webhooks_that_subscribe_to_them()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (s, _) = await Subscribed(receiver, ["call.missed", "call.cancelled"]);
        var department = await s.Department();
        var left = await s.Join(department);
        var cancelled = (await s.Join(department))["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await s.Anonymous.As(left["websocket_token"]!.GetValue<string>(), null).Post($"/api/v1/call/leave/{left["call_id"]}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/calls/{cancelled}/cancel")).Status);

        await Eventually.Holds(() => receiver.Accepted.Count >= 2, Wait, "two deliveries");
        await Task.Delay(300);
        var byEvent = receiver.Accepted.ToDictionary(r => r.Event, r => r.Json["data"]!);
        Assert.Equal(["call.cancelled", "call.missed"], byEvent.Keys.Order());
        Assert.Equal(left["call_id"]!.GetValue<string>(), byEvent["call.missed"]["id"]!.GetValue<string>());
        Assert.Equal("missed", byEvent["call.missed"]["status"]!.GetValue<string>());
        Assert.Equal(cancelled, byEvent["call.cancelled"]["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_new_customer_from_a_widget_join_or_the_api_is_delivered_once_as_customer_created()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (s, _) = await Subscribed(receiver, ["customer.created"]);
        var department = await s.Department();
        await s.Join(department, "Carlos Ferreira"); // carlos@example.com: a new customer
        await s.Join(department, "Carlos F.");       // the same e-mail: matched, not created
        var created = await s.Owner.Post("/api/v1/customers", new { customer = new { name = "Maria Lima", email = "maria@example.com" } });
        Assert.Equal(HttpStatusCode.Created, created.Status);

        await Eventually.Holds(() => receiver.Accepted.Count >= 2, Wait, "two customer.created");
        await Task.Delay(300);
        Assert.Equal(2, receiver.Accepted.Count);
        var customers = receiver.Accepted.Select(r => r.Json["data"]!).OrderBy(c => c["name"]!.GetValue<string>()).ToList();
        Assert.All(receiver.Accepted, r => Assert.Equal("customer.created", r.Event));
        var joined = (await s.Owner.Get("/api/v1/customers?search=carlos")).Data.AsArray().Single()!;
        Assert.Equal(joined["id"]!.GetValue<string>(), customers[0]["id"]!.GetValue<string>());
        Assert.Equal("carlos@example.com", customers[0]["email"]!.GetValue<string>());
        Assert.Equal(created.Id, customers[1]["id"]!.GetValue<string>());
        Assert.Equal("Maria Lima", customers[1]["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_delivery_is_retried_after_500s_and_timeouts_with_the_same_event_id_and_body_and_the_log_shows_each_attempt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = async (_, attempt) =>
        {
            if (attempt == 1) return 500;
            if (attempt == 2) await Task.Delay(TimeSpan.FromSeconds(2)); // past the node's 1 s timeout
            return 200;
        };
        var (s, webhook) = await Subscribed(receiver, ["call.created"]);
        var callId = (await s.Join(await s.Department()))["call_id"]!.GetValue<string>();

        var delivery = await DeliveryWhen(s, webhook, d => d["status"]!.GetValue<string>() == "delivered");
        Assert.Equal("call.created", delivery["event"]!.GetValue<string>());
        Assert.Equal(3, delivery["attempt_count"]!.GetValue<int>());
        Assert.Equal(200, delivery["last_status_code"]!.GetValue<int>());
        Assert.Null(delivery["last_error"]);
        Assert.NotNull(delivery["delivered_at"]);
        Assert.Null(delivery["next_attempt_at"]);
        var attempts = delivery["attempts"]!.AsArray();
        Assert.Equal(3, attempts.Count);
        Assert.Equal(500, attempts[0]!["status_code"]!.GetValue<int>());
        Assert.Equal("HTTP 500", attempts[0]!["error"]!.GetValue<string>());
        Assert.Null(attempts[1]!["status_code"]);
        Assert.Equal("timed out after 1 s", attempts[1]!["error"]!.GetValue<string>());
        Assert.InRange(attempts[1]!["duration_ms"]!.GetValue<int>(), 900, 5000);
        Assert.Equal(200, attempts[2]!["status_code"]!.GetValue<int>());

        await Eventually.Holds(() => receiver.Received.Count == 3, Wait, "the timed-out request recorded");
        var received = receiver.Received;
        Assert.Single(received.Select(r => r.EventId).Distinct());
        Assert.Single(received.Select(r => r.Body).Distinct());
        Assert.Equal(delivery["event_id"]!.GetValue<string>(), received[0].EventId);
        Assert.Equal(callId, received[0].Json["data"]!["id"]!.GetValue<string>());
        Assert.All(received, r => Assert.True(r.SignatureVerifies(Secret)));
    }

    [Fact]
    public async Task A_delivery_that_never_succeeds_is_failed_after_the_retry_period_with_its_last_status()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, _) => Task.FromResult(503);
        var (s, webhook) = await Subscribed(receiver, ["call.created"]);
        await s.Join(await s.Department());

        var delivery = await DeliveryWhen(s, webhook, d => d["status"]!.GetValue<string>() == "failed");
        Assert.Equal(503, delivery["last_status_code"]!.GetValue<int>());
        Assert.Equal("HTTP 503", delivery["last_error"]!.GetValue<string>());
        var attempts = delivery["attempts"]!.AsArray();
        Assert.InRange(attempts.Count, 3, 30);
        Assert.Equal(delivery["attempt_count"]!.GetValue<int>(), attempts.Count);
        // Exponential back-off: the waits grow (within their jitter) up to the 1 s cap.
        var at = receiver.Received.Select(r => r.At).Order().ToList();
        Assert.True(at[^1] - at[0] >= TimeSpan.FromSeconds(2), $"attempts spread over {(at[^1] - at[0]).TotalSeconds:0.0} s only");
        Assert.True(at[1] - at[0] < TimeSpan.FromSeconds(0.9), "the first retry comes quickly");
        var before = receiver.Received.Count;
        await Task.Delay(1500);
        Assert.Equal(before, receiver.Received.Count);
        var failed = await s.Owner.Get($"/api/v1/webhooks/{webhook}/deliveries?status=failed");
        Assert.Equal(1, failed.Body!["meta"]!["total_count"]!.GetValue<int>());
        Assert.Equal(0, (await s.Owner.Get($"/api/v1/webhooks/{webhook}/deliveries?status=pending")).Body!["meta"]!["total_count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_calls_events_wait_for_an_earlier_event_being_retried_so_they_arrive_in_order()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (r, attempt) =>
            Task.FromResult(r.Event == "call.created" && r.Json["data"]!["customer_name"]!.GetValue<string>() == "First Customer" && attempt <= 4 ? 500 : 200);
        var (s, _) = await Subscribed(receiver, ["call.created", "call.assigned", "call.started", "call.completed"]);
        var department = await s.Department();
        var (attendant, _) = await s.Staff("attendant", department);
        var first = (await s.Join(department, "First Customer"))["call_id"]!.GetValue<string>();
        foreach (var step in new[] { "assign", "start", "complete" })
            Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{first}/{step}", new { })).Status);
        // Another call's events are not held up by the first call's retries.
        var second = (await s.Join(department))["call_id"]!.GetValue<string>();
        await Eventually.Holds(() => receiver.Accepted.Any(r => r.Json["data"]!["id"]!.GetValue<string>() == second), Wait, "the second call's call.created");
        Assert.DoesNotContain(receiver.Accepted, r => r.Json["data"]!["id"]!.GetValue<string>() == first);

        await Eventually.Holds(() => receiver.Accepted.Count(r => r.Json["data"]!["id"]!.GetValue<string>() == first) == 4, Wait, "the first call's four events");
        var firstCall = receiver.Received.Where(r => r.Json["data"]!["id"]!.GetValue<string>() == first).OrderBy(r => r.At).ToList();
        Assert.Equal(["call.created", "call.created", "call.created", "call.created", "call.created", "call.assigned", "call.started", "call.completed"],
            firstCall.Select(r => r.Event));
    }

    [Fact]
    public async Task The_configuration_api_shows_the_secret_once_validates_and_the_test_delivery_reaches_the_receiver()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var s = await Scenario.SignUp(app.CreateClient(), "advanced");
        var created = await s.Owner.Post("/api/v1/webhooks", new { url = receiver.Url(), events = new[] { "call.completed", "call.completed" }, description = "CRM" });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var secret = created.Data["secret"]!.GetValue<string>();
        Assert.Matches("^whsec_[A-Za-z0-9_-]{43}$", secret);
        Assert.Equal(["call.completed"], created.Data["events"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.True(created.Data["active"]!.GetValue<bool>());
        var shown = await s.Owner.Get($"/api/v1/webhooks/{created.Id}");
        Assert.Null(shown.Data["secret"]);
        Assert.Equal("CRM", shown.Data["description"]!.GetValue<string>());
        var listed = await s.Owner.Get("/api/v1/webhooks");
        Assert.Equal(created.Id, Assert.Single(listed.Data.AsArray())!["id"]!.GetValue<string>());
        Assert.DoesNotContain(secret, listed.Body!.ToJsonString());

        var test = await s.Owner.Post($"/api/v1/webhooks/{created.Id}/test");
        Assert.Equal(HttpStatusCode.Accepted, test.Status);
        Assert.Equal("webhook.test", test.Data["event"]!.GetValue<string>());
        Assert.Contains(test.Data["status"]!.GetValue<string>(), new[] { "pending", "delivered" }); // the dispatcher may already have sent it
        await Eventually.Holds(() => receiver.Accepted.Count == 1, Wait, "the test delivery");
        var arrived = receiver.Accepted[0];
        Assert.True(arrived.SignatureVerifies(secret));
        Assert.Equal(test.Data["event_id"]!.GetValue<string>(), arrived.EventId);
        var log = await DeliveryWhen(s, created.Id, d => d["status"]!.GetValue<string>() == "delivered");
        Assert.Equal(test.Data["id"]!.GetValue<string>(), log["id"]!.GetValue<string>());

        // Rotating the secret: the next delivery is signed with the new one.
        var rotated = await s.Owner.Put($"/api/v1/webhooks/{created.Id}", new { secret = "a-secret-of-our-own-choosing" });
        Assert.Equal(HttpStatusCode.OK, rotated.Status);
        Assert.Null(rotated.Data["secret"]);
        Assert.Equal(HttpStatusCode.Accepted, (await s.Owner.Post($"/api/v1/webhooks/{created.Id}/test")).Status);
        await Eventually.Holds(() => receiver.Accepted.Count == 2, Wait, "the second test delivery");
        Assert.True(receiver.Accepted[1].SignatureVerifies("a-secret-of-our-own-choosing"));

        // Deactivated: nothing is sent; deleted: gone with its log.
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put($"/api/v1/webhooks/{created.Id}", new { webhook = new { active = false, events = new[] { "call.created" } } })).Status);
        await s.Join(await s.Department());
        await Task.Delay(700);
        Assert.Equal(2, receiver.Received.Count);
        Assert.Equal(HttpStatusCode.NoContent, (await s.Owner.Delete($"/api/v1/webhooks/{created.Id}")).Status);
        Assert.Equal("Webhook not found", (await s.Owner.Get($"/api/v1/webhooks/{created.Id}")).Detail);
        Assert.Equal(HttpStatusCode.NotFound, (await s.Owner.Get($"/api/v1/webhooks/{created.Id}/deliveries")).Status);

        var cases = new (object Body, string Field, string Message)[]
        {
            (new { events = new[] { "call.created" } }, "url", "can't be blank"),
            (new { url = receiver.Url() }, "events", "can't be blank"),
            (new { url = receiver.Url(), events = Array.Empty<string>() }, "events", "can't be blank"),
            (new { url = receiver.Url(), events = new[] { "call.exploded" } }, "events", "is invalid: unknown event \"call.exploded\""),
            (new { url = "ftp://example.com/hook", events = new[] { "call.created" } }, "url", "must be an absolute http or https URL"),
            (new { url = "/relative", events = new[] { "call.created" } }, "url", "must be an absolute http or https URL"),
            (new { url = "https://user:pass@example.com/hook", events = new[] { "call.created" } }, "url", "must not contain credentials"),
            (new { url = receiver.Url(), events = new[] { "call.created" }, secret = "short" }, "secret", "should be at least 16 character(s)"),
        };
        foreach (var (body, field, message) in cases)
        {
            var refused = await s.Owner.Post("/api/v1/webhooks", body);
            Assert.True(refused.Status == HttpStatusCode.UnprocessableEntity, $"{System.Text.Json.JsonSerializer.Serialize(body)}: {(int)refused.Status} {refused.Body}");
            Assert.Contains(message, refused.FieldErrors(field));
        }
        var wrongType = await s.Owner.Post("/api/v1/webhooks", new { url = receiver.Url(), events = "call.created" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrongType.Status);
        Assert.Equal(0, (await s.Owner.Get("/api/v1/webhooks")).Body!["meta"]!["total_count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Webhooks_need_an_advanced_plan_or_above_and_a_downgraded_tenants_events_are_not_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        foreach (var plan in new[] { "free", "basic" })
        {
            var lower = await Scenario.SignUp(app.CreateClient(), plan);
            var refused = await lower.Owner.Post("/api/v1/webhooks", new { url = receiver.Url(), events = new[] { "call.created" } });
            Assert.True(refused.Status == HttpStatusCode.UnprocessableEntity, $"{plan}: {(int)refused.Status} {refused.Body}");
            Assert.Equal($"Webhooks are not included in the {plan} plan (plans with webhooks: advanced, professional, enterprise)", refused.Detail);
            Assert.Equal(HttpStatusCode.OK, (await lower.Owner.Get("/api/v1/webhooks")).Status);
        }

        var (s, webhook) = await Subscribed(receiver, ["call.created"], plan: "professional");
        await s.ChangePlan("basic");
        await s.Join(await s.Department());
        Assert.Equal(0, (await s.Owner.Get($"/api/v1/webhooks/{webhook}/deliveries")).Body!["meta"]!["total_count"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await s.Owner.Post($"/api/v1/webhooks/{webhook}/test")).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await s.Owner.Put($"/api/v1/webhooks/{webhook}", new { active = true })).Status);
        // What a downgraded tenant can still do: see and remove its webhooks.
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Get($"/api/v1/webhooks/{webhook}")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await s.Owner.Delete($"/api/v1/webhooks/{webhook}")).Status);
        await Task.Delay(300);
        Assert.Empty(receiver.Received);
    }

    [Fact]
    public async Task Another_tenants_events_never_reach_a_tenants_webhook()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var otherReceiver = await WebhookReceiver.StartAsync();
        var (a, _) = await Subscribed(receiver, ["call.created"]);
        var (b, _) = await Subscribed(otherReceiver, ["call.created"]);
        var aCall = (await a.Join(await a.Department()))["call_id"]!.GetValue<string>();
        var bCall = (await b.Join(await b.Department()))["call_id"]!.GetValue<string>();
        await Eventually.Holds(() => receiver.Accepted.Count == 1 && otherReceiver.Accepted.Count == 1, Wait, "one delivery each");
        await Task.Delay(300);
        Assert.Equal(aCall, Assert.Single(receiver.Received).Json["data"]!["id"]!.GetValue<string>());
        Assert.Equal(a.Tenant, receiver.Received[0].Json["tenant"]!.GetValue<string>());
        Assert.Equal(bCall, Assert.Single(otherReceiver.Received).Json["data"]!["id"]!.GetValue<string>());
    }

    private static async Task<JsonNode> DeliveryWhen(Scenario s, string webhook, Func<JsonNode, bool> condition)
    {
        JsonNode? found = null;
        await Eventually.Holds(async () =>
        {
            var log = await s.Owner.Get($"/api/v1/webhooks/{webhook}/deliveries");
            found = log.Data.AsArray().FirstOrDefault(d => condition(d!));
            return found is not null;
        }, Wait, "the delivery");
        return found!;
    }
}
