using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Transcription;

/// <summary>A node whose recording pipeline has the test seams of <see cref="TranscriptionPipeline"/>.</summary>
public sealed class TranscribingVokiApp : VokiApp
{
    protected override IDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["Transcription:ModelPath"] = TranscriptionFixtures.HeaderOnlyModel,
        ["Transcription:AllowWeightlessModel"] = "true",
        ["Transcription:Threads"] = "1",
        ["Transcription:RetryDelay"] = "00:00:00.200",
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
/// GET /api/v1/calls/:id/transcript and …/transcript.vtt (decisions.md "Recordings"), and the recording object's
/// transcription: what each state shows, who may read it, and the 404s.
/// </summary>
public sealed class TranscriptEndpointTests(TranscribingVokiApp app) : IClassFixture<TranscribingVokiApp>
{
    private sealed record Handled(Scenario Tenant, string CallId, ApiClient Attendant, ApiClient Colleague, ApiClient Supervisor);

    /// <summary>A tenant whose attendant completed a call; transcription on or off as asked.</summary>
    private async Task<Handled> HandledCall(bool transcription = true)
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "advanced");
        var settings = await s.Owner.Put("/api/v1/company", new { company = new { recording_enabled = true, transcription_enabled = transcription } });
        Assert.Equal(HttpStatusCode.OK, settings.Status);
        var department = await s.Department();
        var (attendant, _) = await s.Staff("attendant", department);
        var (colleague, _) = await s.Staff("attendant", department);
        var (supervisor, _) = await s.Staff("supervisor", department);
        var callId = (await s.Join(department))["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/assign", new { })).Status);
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/start")).Status);
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/complete", new { })).Status);
        return new Handled(s, callId, attendant, colleague, supervisor);
    }

    /// <summary>Hands the call's capture to its recording grain, as the call grain does at completion when media was captured.</summary>
    private async Task<string> Record(Handled h, Func<TranscriptionJob, Task<CallTranscript>>? script = null)
    {
        var dir = Path.Combine(app.RecordingsRoot, h.Tenant.Tenant, h.CallId);
        var capture = new CaptureBuilder(Path.Combine(dir, "capture"))
            .Join("u-1", "Ana Souza", "attendant")
            .Join("customer", "Carlos Ferreira", "customer")
            .Audio("customer", 0.5, "-f", "lavfi", "-i", "sine=d=1")
            .Write();
        if (script is not null) ScriptedTranscriber.Script(capture, script);
        var grains = app.Services.GetRequiredService<IGrainFactory>();
        await grains.GetGrain<IRecordingGrain>($"{h.Tenant.Tenant}/{h.CallId}").Begin(new RecordingRequest
        {
            CaptureDirectory = capture,
            OutputPath = Path.Combine(dir, "recording.webm"),
            RetentionDays = 90,
        });
        return capture;
    }

    private static async Task<JsonNode> Until(ApiClient client, string path, Func<JsonNode, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        ApiResponse? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await client.Get(path);
            if (last.Status == HttpStatusCode.OK && condition(last.Data)) return last.Data;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"GET {path} never satisfied the condition; last: {(int?)last?.Status} {last?.Body}");
    }

    private static CallTranscript Spoken() => new("pt-BR",
    [
        new TranscriptSegment { Start = 0.6, End = 1.25, Speaker = "attendant", SpeakerName = "Ana Souza", Text = "Olá, em que posso ajudar?" },
        new TranscriptSegment { Start = 1.5, End = 3.0, Speaker = "customer", SpeakerName = "Carlos Ferreira", Text = "Preciso da segunda via do boleto." },
    ], 3.0);

    private static void AssertNotFound(ApiResponse response) =>
        Assert.True(response.Status == HttpStatusCode.NotFound && response.Body?.ToJsonString() == """{"errors":{"detail":"Transcript not found"}}""",
            $"expected 404 Transcript not found, got {(int)response.Status} {response.Body}");

    [Fact]
    public async Task The_transcript_shows_progress_then_its_segments_as_json_and_webvtt()
    {
        var h = await HandledCall();
        var transcript = $"/api/v1/calls/{h.CallId}/transcript";
        AssertNotFound(await h.Attendant.Get(transcript)); // no recording yet
        var gate = new Gate();
        await Record(h, async job =>
        {
            job.Progress(new TranscriptionProgress { ProcessedSeconds = 0.75, TotalSeconds = 3 });
            await gate.Hold(job.Cancellation);
            return Spoken();
        });

        var running = await Until(h.Attendant, transcript, d => d["status"]!.GetValue<string>() == "processing" && d["progress"] is not null);
        Assert.Equal($$"""{"call_id":"{{h.CallId}}","status":"processing","language":"pt-BR","text":null,"segments":[],"progress":{"percent":25,"processed_seconds":0.8,"total_seconds":3},"failure_reason":null}""",
            running.ToJsonString());
        var recording = (await h.Attendant.Get($"/api/v1/calls/{h.CallId}/recording")).Data;
        Assert.Equal("""{"status":"processing","text":null,"language":"pt-BR"}""", recording["transcription"]!.ToJsonString());
        AssertNotFound(await h.Attendant.Get($"{transcript}.vtt")); // captions once completed

        gate.Release();
        var done = await Until(h.Attendant, transcript, d => d["status"]!.GetValue<string>() == "completed");
        const string text = "Ana Souza: Olá, em que posso ajudar?\nCarlos Ferreira: Preciso da segunda via do boleto.";
        Assert.Equal(new JsonObject
        {
            ["call_id"] = h.CallId,
            ["status"] = "completed",
            ["language"] = "pt-BR",
            ["text"] = text,
            ["segments"] = new JsonArray(
                new JsonObject { ["start"] = 0.6, ["end"] = 1.25, ["speaker"] = "attendant", ["speaker_name"] = "Ana Souza", ["text"] = "Olá, em que posso ajudar?" },
                new JsonObject { ["start"] = 1.5, ["end"] = 3.0, ["speaker"] = "customer", ["speaker_name"] = "Carlos Ferreira", ["text"] = "Preciso da segunda via do boleto." }),
            ["progress"] = null,
            ["failure_reason"] = null,
        }.ToJsonString(), done.ToJsonString());
        recording = (await h.Attendant.Get($"/api/v1/calls/{h.CallId}/recording")).Data;
        Assert.Equal(new JsonObject { ["status"] = "completed", ["text"] = text, ["language"] = "pt-BR" }.ToJsonString(), recording["transcription"]!.ToJsonString());

        var vtt = await h.Attendant.Get($"{transcript}.vtt");
        Assert.Equal(HttpStatusCode.OK, vtt.Status);
        Assert.Equal("text/vtt", vtt.Message.Content.Headers.ContentType!.MediaType);
        Assert.Equal("""
            WEBVTT

            1
            00:00:00.600 --> 00:00:01.250
            <v Ana Souza>Olá, em que posso ajudar?

            2
            00:00:01.500 --> 00:00:03.000
            <v Carlos Ferreira>Preciso da segunda via do boleto.

            """.Replace("\r\n", "\n"), await vtt.Message.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_transcript_is_for_the_attendant_who_handled_the_call_and_for_supervisors_up()
    {
        var h = await HandledCall();
        await Record(h, _ => Task.FromResult(Spoken()));
        var transcript = $"/api/v1/calls/{h.CallId}/transcript";
        await Until(h.Attendant, transcript, d => d["status"]!.GetValue<string>() == "completed");

        foreach (var path in new[] { transcript, $"{transcript}.vtt" })
        {
            // The colleague in the same department sees the call, but not what was said in it.
            Assert.Equal(HttpStatusCode.OK, (await h.Colleague.Get($"/api/v1/calls/{h.CallId}")).Status);
            var refused = await h.Colleague.Get(path);
            Assert.Equal((HttpStatusCode.Forbidden, """{"errors":{"detail":"Forbidden"}}"""), (refused.Status, refused.Body?.ToJsonString()));
            foreach (var reader in new[] { h.Attendant, h.Supervisor, h.Tenant.Owner })
                Assert.Equal(HttpStatusCode.OK, (await reader.Get(path)).Status);

            AssertNotFound(await h.Supervisor.Get(path.Replace(h.CallId, Guid.NewGuid().ToString())));
            var stranger = await Scenario.SignUp(app.CreateClient(), plan: "advanced");
            AssertNotFound(await stranger.Owner.Get(path)); // another tenant's call is a call that does not exist
            var anonymous = await h.Tenant.Anonymous.Get(path);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        }
    }

    [Fact]
    public async Task A_recording_without_transcription_has_a_null_transcription_and_no_transcript()
    {
        var h = await HandledCall(transcription: false);
        await Record(h);
        var recording = await Until(h.Attendant, $"/api/v1/calls/{h.CallId}/recording", _ => true);
        Assert.Equal(JsonValueKind(null), JsonValueKind(recording["transcription"]));
        Assert.True(recording.AsObject().ContainsKey("transcription"));
        AssertNotFound(await h.Attendant.Get($"/api/v1/calls/{h.CallId}/transcript"));
        AssertNotFound(await h.Supervisor.Get($"/api/v1/calls/{h.CallId}/transcript.vtt"));

        static string JsonValueKind(JsonNode? node) => node?.GetValueKind().ToString() ?? "null";
    }

    [Fact]
    public async Task A_failed_transcription_reports_its_reason_and_has_no_captions()
    {
        var h = await HandledCall();
        await Record(h, _ => throw new InvalidDataException("the Whisper model ggml-base.bin is missing (Transcription:ModelPath)"));

        var failed = await Until(h.Supervisor, $"/api/v1/calls/{h.CallId}/transcript", d => d["status"]!.GetValue<string>() == "failed");
        Assert.Equal("the Whisper model ggml-base.bin is missing (Transcription:ModelPath)", failed["failure_reason"]!.GetValue<string>());
        Assert.Equal(("pt-BR", 0), (failed["language"]!.GetValue<string>(), failed["segments"]!.AsArray().Count));
        Assert.Null(failed["text"]);
        var recording = (await h.Attendant.Get($"/api/v1/calls/{h.CallId}/recording")).Data;
        Assert.Equal("""{"status":"failed","text":null,"language":"pt-BR"}""", recording["transcription"]!.ToJsonString());
        AssertNotFound(await h.Attendant.Get($"/api/v1/calls/{h.CallId}/transcript.vtt"));
    }
}
