using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Recording;

/// <summary>
/// The recording API over a real composition: a generated capture (FFmpeg-encoded flashing video and beeping
/// audio) handed to the call's RecordingGrain, composed by FFmpeg, then served, downloaded in ranges,
/// audited, and purged by retention.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class RecordingApiTests(VokiApp app)
{
    [Fact]
    public async Task A_finished_recording_is_served_downloaded_in_ranges_and_every_download_is_audited()
    {
        var (s, callId, attendant, attendantId) = await CompletedCall(app);
        await Record(app, s.Tenant, callId);

        var recording = await Ready(attendant, callId);
        Assert.Equal("webm", recording.Data["format"]!.GetValue<string>());
        Assert.Equal(callId, recording.Data["call_id"]!.GetValue<string>());
        Assert.InRange(recording.Data["duration"]!.GetValue<int>(), 3, 4);
        var size = recording.Data["file_size"]!.GetValue<long>();
        Assert.True(size > 1000);
        Assert.Null(recording.Data["transcription"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", recording.Data["created_at"]!.GetValue<string>());
        Assert.Equal($"/api/v1/calls/{callId}/recording/download", recording.Data["download_url"]!.GetValue<string>());
        var call = await s.Owner.Get($"/api/v1/calls/{callId}");
        Assert.Equal("ready", call.Data["recording_status"]!.GetValue<string>());

        using var http = app.CreateClient();
        HttpRequestMessage Download(string? range = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/calls/{callId}/recording/download");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", attendant.Token);
            request.Headers.Add("X-Tenant", s.Tenant);
            if (range is not null) request.Headers.Add("Range", range);
            return request;
        }
        var whole = await http.SendAsync(Download());
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal("video/webm", whole.Content.Headers.ContentType!.MediaType);
        Assert.Equal(size, (await whole.Content.ReadAsByteArrayAsync()).Length);
        Assert.NotNull(whole.Headers.ETag);
        Assert.Equal("attachment", whole.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("bytes", whole.Headers.AcceptRanges.Single());

        var part = await http.SendAsync(Download("bytes=0-99"));
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(100, (await part.Content.ReadAsByteArrayAsync()).Length);
        Assert.Equal($"bytes 0-99/{size}", part.Content.Headers.ContentRange!.ToString());
        var beyond = await http.SendAsync(Download($"bytes={size + 10}-"));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);

        // Recordings are evidence: who fetched what, and when.
        var audit = (await s.Owner.Get($"/api/v1/calls/{callId}/recording/audit")).Data.AsArray();
        Assert.Equal(3, audit.Count(a => a!["action"]!.GetValue<string>() == "download" && a["actor_id"]!.GetValue<string>() == attendantId));
        Assert.Contains(audit, a => a!["range"]?.GetValue<string>() == "bytes=0-99");

        // Another attendant of the department sees the call but not its recording; supervisors do.
        var (other, _) = await s.Staff("attendant", call.Data["department_id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, (await other.Get($"/api/v1/calls/{callId}/recording")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.Get($"/api/v1/calls/{callId}/recording/download")).Status);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await s.Owner.Delete($"/api/v1/calls/{callId}/recording")).Status);
        Assert.True(File.Exists(Path.Combine(app.RecordingsRoot, s.Tenant, callId, "recording.webm")));
    }

    [Fact]
    public async Task Retention_purges_the_file_logs_the_purge_and_the_recording_is_gone()
    {
        var (s, callId, attendant, _) = await CompletedCall(app);
        // A retention of 0 days: the purge is due as soon as the recording is ready.
        await Record(app, s.Tenant, callId, retentionDays: 0);
        var file = Path.Combine(app.RecordingsRoot, s.Tenant, callId, "recording.webm");
        ApiResponse response;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            await Task.Delay(500);
            response = await s.Owner.Get($"/api/v1/calls/{callId}");
        } while (response.Data["recording_status"]!.GetValue<string>() != "expired" && clock.Elapsed < TimeSpan.FromSeconds(60));
        Assert.Equal("expired", response.Data["recording_status"]!.GetValue<string>());
        Assert.False(File.Exists(file));
        var gone = await attendant.Get($"/api/v1/calls/{callId}/recording");
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        Assert.Equal("Recording not found", gone.Detail);
        var audit = (await s.Owner.Get($"/api/v1/calls/{callId}/recording/audit")).Data.AsArray();
        Assert.Contains(audit, a => a!["action"]!.GetValue<string>() == "purge" && a["actor_id"] is null);
    }

    private static async Task<(Scenario, string CallId, ApiClient Attendant, string AttendantId)> CompletedCall(VokiApp node)
    {
        var s = await Scenario.SignUp(node.CreateClient(), plan: "advanced");
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put("/api/v1/company", new { recording_enabled = true })).Status);
        var department = await s.Department();
        var (attendant, attendantId) = await s.Staff("attendant", department);
        var callId = (await s.Join(department))["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/start")).Status);
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/complete")).Status);
        // Before the WebM exists: the documented 404.
        Assert.Equal("Recording not found", (await attendant.Get($"/api/v1/calls/{callId}/recording")).Detail);
        return (s, callId, attendant, attendantId);
    }

    /// <summary>Hands a generated 3.5 s two-party capture to the call's recording grain, as the call grain does at completion.</summary>
    internal static async Task Record(VokiApp node, string tenant, string callId, int retentionDays = 30)
    {
        var directory = Path.Combine(node.RecordingsRoot, tenant, callId);
        var capture = Path.Combine(directory, "capture");
        await SyntheticCapture.WriteAsync(capture,
        [
            new SyntheticParty { Id = "customer", Name = "Carlos", Join = 0, AudioStart = 0.1, VideoStart = 0.1, Leave = 3.5, VideoWidth = 160, VideoHeight = 120, AudioSsrc = 11, VideoSsrc = 12 },
            new SyntheticParty { Id = "attendant", Name = "Ana", Role = "attendant", Join = 0.5, AudioStart = 0.6, Leave = 3.5, AudioSsrc = 21, VideoSsrc = 22 },
        ], end: 3.5);
        var grains = node.Services.GetRequiredService<IGrainFactory>();
        await grains.GetGrain<IRecordingGrain>(TenantKey.For(tenant, Guid.Parse(callId))).Begin(new RecordingRequest
        {
            CaptureDirectory = capture,
            OutputPath = Path.Combine(directory, "recording.webm"),
            RetentionDays = retentionDays,
        });
    }

    internal static async Task<ApiResponse> Ready(ApiClient client, string callId)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var response = await client.Get($"/api/v1/calls/{callId}/recording");
            if (response.Status == HttpStatusCode.OK || clock.Elapsed > TimeSpan.FromSeconds(90)) return response;
            await Task.Delay(500);
        }
    }
}
