using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Tests.Infrastructure;
using Voki.Tests.Realtime;
using Voki.Tests.Transcription;

namespace Voki.Tests.Api;

/// <summary>A node on a real loopback port (so it sees the client's address) with the instant composer and the scripted transcriber.</summary>
public sealed class AuditedNode : VokiApp
{
    public int Port { get; } = FreePorts.Next();

    public AuditedNode() => UseKestrel(Port);

    private AuditedNode(VokiApp cluster) : base(cluster) => UseKestrel(Port);

    public AuditedNode JoiningCluster() => new(this);

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public HttpClient Http() => new() { BaseAddress = new Uri(BaseUrl) };

    protected override IDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["Transcription:ModelPath"] = TranscriptionFixtures.HeaderOnlyModel,
        ["Transcription:AllowWeightlessModel"] = "true",
        ["Transcription:Threads"] = "1",
    };

    protected override void StartHost() => StartServer();

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

/// <summary>Two nodes of one cluster, each with its own recordings directory: a recording on the first is proxied by the second.</summary>
public sealed class AuditedCluster : IAsyncLifetime
{
    public AuditedNode First { get; } = new();
    public AuditedNode Second { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await First.InitializeAsync();
        Second = First.JoiningCluster();
        await Second.InitializeAsync();
        var management = First.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        await Eventually.Holds(async () => (await management.GetHosts(onlyActive: true)).Count == 2, TimeSpan.FromSeconds(30), "both nodes in the cluster");
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)Second).DisposeAsync();
        await ((IAsyncLifetime)First).DisposeAsync();
    }
}

/// <summary>
/// decisions.md "Recording audit trail": every access to a call's recording, transcript or live call, refusals
/// included, is in <c>GET /api/v1/calls/:call_id/recording/audit</c> (manager+) with who, which role, when,
/// from where and which range; a retention purge too; a download proxied from another node once.
/// </summary>
public sealed class RecordingAuditTests(AuditedCluster cluster) : IClassFixture<AuditedCluster>
{
    private const string Loopback = "127.0.0.1";
    private AuditedNode Node => cluster.First;

    private sealed record Handled(Scenario Tenant, string CallId, string Department, ApiClient Attendant, string AttendantId,
        ApiClient Supervisor, string SupervisorId, ApiClient Manager)
    {
        public string Audit => $"/api/v1/calls/{CallId}/recording/audit";
    }

    /// <summary>A tenant whose attendant took a call, started it and (unless <paramref name="complete"/> is false) completed it.</summary>
    private async Task<Handled> HandledCall(bool transcription = true, bool complete = true)
    {
        var s = await Scenario.SignUp(Node.Http(), plan: "advanced");
        var settings = await s.Owner.Put("/api/v1/company", new { company = new { recording_enabled = true, transcription_enabled = transcription } });
        Assert.Equal(HttpStatusCode.OK, settings.Status);
        var department = await s.Department();
        var (attendant, attendantId) = await s.Staff("attendant", department);
        var (supervisor, supervisorId) = await s.Staff("supervisor", department);
        var (manager, _) = await s.Staff("manager", department);
        var callId = (await s.Join(department))["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/start")).Status);
        if (complete) Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/complete", new { })).Status);
        return new Handled(s, callId, department, attendant, attendantId, supervisor, supervisorId, manager);
    }

    /// <summary>Gives the call a ready recording on the first node (and a completed transcript when transcription is on), without reading it through the API.</summary>
    private async Task Record(Handled h, int retentionDays = 90, string expect = RecordingStatus.Ready)
    {
        var dir = Path.Combine(Node.RecordingsRoot, h.Tenant.Tenant, h.CallId);
        var capture = new CaptureBuilder(Path.Combine(dir, "capture")).Join("customer", "Carlos Ferreira", "customer").Write();
        ScriptedTranscriber.Script(capture, _ => Task.FromResult(new CallTranscript("pt-BR",
            [new TranscriptSegment { Start = 0.5, End = 1.5, Speaker = "customer", SpeakerName = "Carlos Ferreira", Text = "Bom dia." }], 2.0)));
        var recording = Node.Services.GetRequiredService<IGrainFactory>().GetGrain<IRecordingGrain>(TenantKey.For(h.Tenant.Tenant, Guid.Parse(h.CallId)));
        await recording.Begin(new RecordingRequest
        {
            CaptureDirectory = capture, OutputPath = Path.Combine(dir, "recording.webm"), RetentionDays = retentionDays, NodeUrl = Node.BaseUrl,
        });
        await Eventually.Holds(async () => (await recording.Get())?.Status == expect, TimeSpan.FromSeconds(60), $"the recording {expect}");
        if (expect == RecordingStatus.Ready && (await recording.Get())!.Transcription is not null)
            await Eventually.Holds(async () => (await recording.GetTranscript())?.Transcription.Status == TranscriptionStatus.Completed,
                TimeSpan.FromSeconds(60), "the transcript completed");
    }

    private static async Task<JsonArray> Trail(ApiClient reader, Handled h)
    {
        var response = await reader.Get(h.Audit + "?page_size=100");
        Assert.True(response.Status == HttpStatusCode.OK, $"GET {h.Audit}: {(int)response.Status} {response.Body}");
        return response.Data.AsArray();
    }

    private static HttpRequestMessage Download(Handled h, ApiClient who, string? range = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/calls/{h.CallId}/recording/download");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", who.Token);
        request.Headers.Add("X-Tenant", who.Tenant);
        if (range is not null) request.Headers.Add("Range", range);
        return request;
    }

    private static void AssertRow(JsonNode? row, string action, string? actorId, string? actorName, string? role, string? ip = Loopback, string? range = null)
    {
        var what = row?.ToJsonString();
        Assert.True(row?["action"]?.GetValue<string>() == action, $"expected a {action} row, got {what}");
        Assert.True(row!["actor_id"]?.GetValue<string>() == actorId, $"actor_id {actorId} expected in {what}");
        Assert.True(row["actor_name"]?.GetValue<string>() == actorName, $"actor_name {actorName} expected in {what}");
        Assert.True(row["role"]?.GetValue<string>() == role, $"role {role} expected in {what}");
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", row["at"]!.GetValue<string>());
        // range and ip are there only when the access had one.
        Assert.True(row.AsObject().ContainsKey("range") == range is not null && row["range"]?.GetValue<string>() == range, $"range {range} expected in {what}");
        Assert.True(row.AsObject().ContainsKey("ip") == ip is not null && row["ip"]?.GetValue<string>() == ip, $"ip {ip} expected in {what}");
        foreach (var key in new[] { "actor_id", "actor_name", "role", "at" }) Assert.True(row.AsObject().ContainsKey(key), $"{key} missing in {what}");
    }

    [Fact]
    public async Task Reads_of_the_recording_its_download_and_its_transcript_are_each_in_the_trail_with_actor_role_ip_and_range()
    {
        var h = await HandledCall();
        await Record(h);
        Assert.Empty(await Trail(h.Manager, h));

        using var http = Node.Http();
        Assert.Equal(HttpStatusCode.OK, (await h.Attendant.Get($"/api/v1/calls/{h.CallId}/recording")).Status);
        Assert.Equal(HttpStatusCode.PartialContent, (await http.SendAsync(Download(h, h.Attendant, "bytes=0-3"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await h.Attendant.Get($"/api/v1/calls/{h.CallId}/transcript")).Status);
        Assert.Equal(HttpStatusCode.OK, (await h.Supervisor.Get($"/api/v1/calls/{h.CallId}/transcript.vtt")).Status);
        Assert.Equal(HttpStatusCode.OK, (await h.Tenant.Owner.Get($"/api/v1/calls/{h.CallId}/recording")).Status);

        var trail = await Trail(h.Manager, h);
        Assert.Equal(5, trail.Count);
        AssertRow(trail[0], "view", h.AttendantId, "A attendant", "attendant");
        AssertRow(trail[1], "download", h.AttendantId, "A attendant", "attendant", range: "bytes=0-3");
        AssertRow(trail[2], "transcript_view", h.AttendantId, "A attendant", "attendant");
        AssertRow(trail[3], "transcript_view", h.SupervisorId, "A supervisor", "supervisor");
        AssertRow(trail[4], "view", h.Tenant.OwnerId, "Owner", "owner");
        // Reading the trail is not itself an access to the recording.
        Assert.Equal(5, (await Trail(h.Tenant.Owner, h)).Count);
    }

    [Fact]
    public async Task Refusals_are_in_the_trail_as_denied_without_actor_for_a_401_and_with_the_actor_for_a_403()
    {
        var h = await HandledCall(transcription: false);
        await Record(h);
        var other = await Scenario.SignUp(Node.Http());
        var (colleague, colleagueId) = await h.Tenant.Staff("attendant", h.Department);

        var recording = $"/api/v1/calls/{h.CallId}/recording";
        Assert.Equal(HttpStatusCode.Unauthorized, (await h.Tenant.Anonymous.As(null, h.Tenant.Tenant).Get(recording)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.Owner.As(other.Owner.Token, h.Tenant.Tenant).Get($"/api/v1/calls/{h.CallId}/transcript")).Status);
        using var http = Node.Http();
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(Download(h, colleague, "bytes=0-"))).StatusCode); // not the call's attendant
        Assert.Equal(HttpStatusCode.Forbidden, (await h.Supervisor.Get(h.Audit)).Status); // below the trail's minimum role
        // Another tenant's owner is told the call does not exist: nothing was refused, nothing is written.
        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.Get(recording)).Status);

        var trail = await Trail(h.Manager, h);
        Assert.Equal(4, trail.Count);
        AssertRow(trail[0], "denied", null, null, null);
        AssertRow(trail[1], "denied", null, null, null);
        AssertRow(trail[2], "denied", colleagueId, "A attendant", "attendant", range: "bytes=0-");
        AssertRow(trail[3], "denied", h.SupervisorId, "A supervisor", "supervisor");
    }

    [Fact]
    public async Task A_client_hammering_refused_requests_writes_at_most_ten_denied_rows_a_minute_per_call()
    {
        var h = await HandledCall(transcription: false);
        await Record(h);
        var anonymous = h.Tenant.Anonymous.As(null, h.Tenant.Tenant);
        for (var i = 0; i < 25; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.Get($"/api/v1/calls/{h.CallId}/recording")).Status);
        var trail = await Trail(h.Manager, h);
        Assert.Equal(10, trail.Count);
        Assert.All(trail, row => AssertRow(row, "denied", null, null, null));
        // Another call's refusals have their own allowance.
        var second = await HandledCall(transcription: false);
        await Record(second);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.Get($"/api/v1/calls/{second.CallId}/recording")).Status);
        Assert.Single(await Trail(second.Manager, second));
    }

    [Fact]
    public async Task The_trail_is_for_managers_and_up_and_another_tenants_call_is_not_found_like_an_unknown_one()
    {
        var h = await HandledCall(transcription: false);
        const string forbidden = """{"errors":{"detail":"Forbidden"}}""";
        foreach (var below in new[] { h.Attendant, h.Supervisor })
        {
            var refused = await below.Get(h.Audit);
            Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
            Assert.Equal(forbidden, refused.Body!.ToJsonString());
        }
        Assert.Equal(HttpStatusCode.OK, (await h.Manager.Get(h.Audit)).Status);
        Assert.Equal(HttpStatusCode.OK, (await h.Tenant.Owner.Get(h.Audit)).Status);

        var other = await Scenario.SignUp(Node.Http());
        var foreign = await other.Owner.Get(h.Audit);
        var unknown = await other.Owner.Get($"/api/v1/calls/{Guid.NewGuid()}/recording/audit");
        Assert.Equal(HttpStatusCode.NotFound, foreign.Status);
        Assert.Equal("""{"errors":{"detail":"Recording not found"}}""", foreign.Body!.ToJsonString());
        Assert.Equal(unknown.Body!.ToJsonString(), foreign.Body.ToJsonString());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_trail_and_its_item()
    {
        using var http = Node.Http();
        var document = JsonNode.Parse(await http.GetStringAsync("/openapi/v1.json"))!;
        var get = document["paths"]!["/api/v1/calls/{id}/recording/audit"]?["get"];
        Assert.NotNull(get);
        Assert.Contains("manager", get["summary"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        var item = document["components"]!["schemas"]!["AuditTrailItem"]!["properties"]!.AsObject();
        Assert.Equal(["action", "actor_id", "actor_name", "role", "at", "range", "ip"], item.Select(p => p.Key));
        var page = document["components"]!["schemas"]!["AuditTrailPage"]!["properties"]!.AsObject();
        Assert.Equal(["data", "meta"], page.Select(p => p.Key));
    }

    [Fact]
    public async Task The_trail_is_paginated_like_every_list()
    {
        var h = await HandledCall(transcription: false);
        await Record(h);
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await h.Attendant.Get($"/api/v1/calls/{h.CallId}/recording")).Status);
        Assert.Equal(HttpStatusCode.OK, (await h.Supervisor.Get($"/api/v1/calls/{h.CallId}/recording")).Status);

        var first = await h.Manager.Get(h.Audit + "?page_size=2");
        Assert.Equal("""{"current_page":1,"page_size":2,"total_pages":3,"total_count":6}""", first.Body!["meta"]!.ToJsonString());
        var last = await h.Manager.Get(h.Audit + "?page_size=2&page=3");
        Assert.Equal("""{"current_page":3,"page_size":2,"total_pages":3,"total_count":6}""", last.Body!["meta"]!.ToJsonString());
        Assert.Equal(2, last.Data.AsArray().Count);
        AssertRow(last.Data[1], "view", h.SupervisorId, "A supervisor", "supervisor");
        Assert.Equal(20, (await h.Manager.Get(h.Audit)).Body!["meta"]!["page_size"]!.GetValue<int>());
        Assert.NotEmpty((await h.Manager.Get(h.Audit + "?page_size=0")).FieldErrors("page_size"));
        Assert.NotEmpty((await h.Manager.Get(h.Audit + "?sort_by=actor_id")).FieldErrors("sort_by"));
    }

    [Fact]
    public async Task A_staff_member_other_than_the_assignee_joining_the_live_call_is_audited_as_live_join()
    {
        var h = await HandledCall(transcription: false, complete: false);
        var topic = $"call:{h.CallId}";
        await using (var attendant = await PhoenixTestClient.Connect(Node.BaseUrl, h.Attendant.Token!))
            Assert.Equal("ok", (await attendant.Join(topic)).Status);
        await using (var supervisor = await PhoenixTestClient.Connect(Node.BaseUrl, h.Supervisor.Token!))
            Assert.Equal("ok", (await supervisor.Join(topic)).Status);
        var trail = await Trail(h.Manager, h);
        AssertRow(Assert.Single(trail), "live_join", h.SupervisorId, "A supervisor", "supervisor");
    }

    [Fact]
    public async Task A_retention_purge_is_in_the_trail_without_an_actor()
    {
        var h = await HandledCall(transcription: false);
        await Record(h, retentionDays: 0, expect: RecordingStatus.Expired);
        var trail = await Trail(h.Manager, h);
        AssertRow(Assert.Single(trail), "purge", null, null, null, ip: null);
    }

    [Fact]
    public async Task A_download_proxied_from_the_node_holding_the_file_is_audited_exactly_once()
    {
        var h = await HandledCall(transcription: false);
        await Record(h);
        Assert.False(Directory.Exists(Path.Combine(cluster.Second.RecordingsRoot, h.Tenant.Tenant)), "the file is on the first node only");

        using var second = cluster.Second.Http();
        var part = await second.SendAsync(Download(h, h.Attendant, "bytes=0-3"));
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        var file = await File.ReadAllBytesAsync(Path.Combine(Node.RecordingsRoot, h.Tenant.Tenant, h.CallId, "recording.webm"));
        Assert.Equal(file[..4], await part.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, (await second.SendAsync(Download(h, h.Supervisor))).StatusCode);

        var trail = await Trail(h.Manager, h);
        Assert.Equal(2, trail.Count);
        AssertRow(trail[0], "download", h.AttendantId, "A attendant", "attendant", range: "bytes=0-3");
        AssertRow(trail[1], "download", h.SupervisorId, "A supervisor", "supervisor");

        // Only a node can say it audited a download: a client's own header is no proof, the serving node audits.
        using var first = Node.Http();
        var forged = Download(h, h.Attendant);
        forged.Headers.Add("X-Voki-Download-Audited", new string('0', 64));
        Assert.Equal(HttpStatusCode.OK, (await first.SendAsync(forged)).StatusCode);
        Assert.Equal(3, (await Trail(h.Manager, h)).Count);
    }
}
