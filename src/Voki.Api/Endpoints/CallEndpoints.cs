using System.Text.Json.Serialization;
using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;
using Recording = Voki.Grains.Model.Recording;

namespace Voki.Api.Endpoints;

public static class CallEndpoints
{
    public sealed class AssignRequest { public Guid? UserId { get; set; } }
    public sealed class CompleteRequest { public string? Notes { get; set; } }
    public sealed class ManagerNoteRequest { public string? Content { get; set; } public string? Note { get; set; } }

    public const string RecordingNotFound = "Recording not found";
    public const string TranscriptNotFound = "Transcript not found";

    private static readonly Listing AuditSorting = new(new Dictionary<string, string> { ["at"] = "a.at" }, "at", DefaultDescending: false);

    private static readonly Listing Sorting = new(
        new Dictionary<string, string>
        {
            ["inserted_at"] = "c.inserted_at", ["updated_at"] = "c.updated_at", ["started_at"] = "c.started_at",
            ["completed_at"] = "c.completed_at", ["status"] = "c.status", ["customer_name"] = "lower(c.customer_name)",
            ["duration"] = "c.duration", ["wait_time"] = "c.wait_time", ["rating"] = "c.rating",
        },
        "inserted_at", DefaultDescending: true);

    public static void MapCallEndpoints(this IEndpointRouteBuilder app)
    {
        var calls = app.MapGroup("/api/v1/calls").WithTags("Calls").RequireAuthorization(Policies.Attendant);
        calls.MapGet("", List).WithSummary(
            "List calls; filters status, department_id, user_id, tag_id (calls carrying that tag), customer_id (the customer's history), date_from, date_to (a bare date_to covers the whole day), " +
            "search (customer name or e-mail). Attendants see the calls of their departments and the calls assigned to them. " +
            "Every call object carries tags [{id, name, color, parent_id}] and manager_notes [{id, call_id, user_id, user_name, content, inserted_at}], oldest first.");
        calls.MapGet("/{id:guid}", Get);
        calls.MapPost("/{id:guid}/assign", Assign).Accepts<AssignRequest>("application/json")
            .WithSummary("Assign a queued call ({user_id?}, default the caller); attendants only to themselves, supervisors+ to any active member of the department; media may flow from now on, so 422 over the plan's concurrent calls (assigned and active calls count)");
        calls.MapPost("/{id:guid}/start", Start)
            .WithSummary("queued → active; assigns the caller when nobody is assigned; 422 over the plan's concurrent calls");
        calls.MapPost("/{id:guid}/complete", Complete).Accepts<CompleteRequest>("application/json")
            .WithSummary("active → completed ({notes?}); sets completed_at and duration");
        calls.MapPost("/{id:guid}/cancel", Cancel).RequireAuthorization(Policies.Supervisor).WithSummary("queued → cancelled");
        calls.MapPost("/{id:guid}/manager-notes", AddManagerNote).RequireAuthorization(Policies.Supervisor).Accepts<ManagerNoteRequest>("application/json")
            .WithSummary("Add a manager note ({content} or {note}, up to 10,000 characters; supervisor and above) → 201 {id, call_id, user_id, user_name, content, inserted_at}; " +
                         "the notes appear as manager_notes on the call object, to everyone who may see the call");
        calls.MapGet("/{id:guid}/recording", Recording).WithMetadata(new AuditsRefusals())
            .WithSummary("Recording metadata; 404 {\"errors\":{\"detail\":\"Recording not found\"}} until the WebM is finished. Every read is audited (view)");
        calls.MapGet("/{id:guid}/recording/download", Download).WithMetadata(new AuditsRefusals())
            .WithSummary("The WebM (video/webm) with byte ranges (206/416), ETag and Content-Disposition; every download is audited (download, with its range), " +
                         "once, also when the node holding the file serves it through another");
        calls.MapGet("/{id:guid}/recording/audit", AuditTrail).WithMetadata(new AuditsRefusals()).RequireAuthorization(Policies.Manager)
            .Produces<AuditTrailPage>()
            .WithSummary("The call's recording audit trail, oldest first, paginated (page, page_size; meta as every list): " +
                         "{data: [{action, actor_id, actor_name, role, at, range?, ip?}], meta}. Actions: view (metadata read), download, " +
                         "transcript_view (transcript or WebVTT read), denied (a 401 or 403 on this call's recording, transcript or audit routes; " +
                         "a 401 has no actor, only its ip), live_join (a staff member other than the assignee joined the call's channel), " +
                         "purge (retention; no actor). actor_name is the member's current name, role the role they had then. " +
                         "Manager and above; 404 {\"errors\":{\"detail\":\"Recording not found\"}} for an unknown call or another tenant's; " +
                         "a call without a recording (yet, or any more) has its trail too");
        calls.MapGet("/{id:guid}/transcript", Transcript).WithMetadata(new AuditsRefusals())
            .WithSummary("The recording's transcript: {call_id, status (pending|processing|completed|failed), language (BCP-47), text, " +
                         "segments [{start, end, speaker (attendant|customer|supervisor), speaker_name, text}] in seconds on the recording's timeline}, " +
                         "plus progress {percent, processed_seconds, total_seconds} while processing and failure_reason when failed. " +
                         "Same access as the recording, audited like it (transcript_view); 404 {\"errors\":{\"detail\":\"Transcript not found\"}} when the recording has no transcription");
        calls.MapGet("/{id:guid}/transcript.vtt", TranscriptCaptions).WithMetadata(new AuditsRefusals())
            .WithSummary("The completed transcript as WebVTT captions (text/vtt) aligned to the recording, one cue per segment with the speaker " +
                         "as its voice (<v Name>); audited (transcript_view); 404 until the transcription has completed");
        calls.MapDelete("/{id:guid}/recording", RecordingsCannotBeDeleted).WithMetadata(new AuditsRefusals())
            .WithSummary("Always 405: recordings are never deleted one by one; retention purges them");
    }

    private static async Task<IResult> List(HttpContext http, CallRows calls, DepartmentRows departments, CallViews views)
    {
        var caller = http.Caller();
        var query = http.Request.Query;
        var v = new Validator();
        var filter = new CallFilter(
            QueryValues.OneOf(query, "status", CallStatus.All, v),
            QueryValues.Guid(query, "department_id", v),
            QueryValues.Guid(query, "user_id", v),
            QueryValues.Date(query, "date_from", upperBound: false, v),
            QueryValues.Date(query, "date_to", upperBound: true, v),
            query["search"].FirstOrDefault(),
            TagId: QueryValues.Guid(query, "tag_id", v),
            CustomerId: QueryValues.Guid(query, "customer_id", v));
        v.ThrowIfInvalid();
        if (!caller.AtLeast(Role.Supervisor))
            filter = filter with { VisibleDepartments = await departments.DepartmentsOfAsync(caller.Tenant, caller.UserId), VisibleToUser = caller.UserId };
        return Envelope.List(await views.PageAsync(caller.Tenant, await calls.ListAsync(caller.Tenant, filter, Sorting.Parse(query))));
    }

    private static async Task<IResult> Get(Guid id, HttpContext http, IGrainFactory grains, DepartmentRows departments, CallViews views)
    {
        var caller = http.Caller();
        return Envelope.Ok(await views.OneAsync(caller.Tenant, await Visible(caller, id, grains, departments)));
    }

    private static async Task<IResult> Assign(Guid id, HttpContext http, IGrainFactory grains, DepartmentRows departments, CallViews views)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<AssignRequest>(http.Request, "call");
        await Visible(caller, id, grains, departments);
        return Envelope.Ok(await views.OneAsync(caller.Tenant, await Grain(caller, id, grains).Assign(caller.Actor, body.UserId).Unwrap()));
    }

    private static async Task<IResult> Start(Guid id, HttpContext http, IGrainFactory grains, DepartmentRows departments, CallViews views)
    {
        var caller = http.Caller();
        await Visible(caller, id, grains, departments);
        return Envelope.Ok(await views.OneAsync(caller.Tenant, await Grain(caller, id, grains).Start(caller.Actor).Unwrap()));
    }

    private static async Task<IResult> Complete(Guid id, HttpContext http, IGrainFactory grains, DepartmentRows departments, CallViews views)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<CompleteRequest>(http.Request, "call");
        new Validator().MaxLength("notes", body.Notes, 10_000).ThrowIfInvalid();
        await Visible(caller, id, grains, departments);
        return Envelope.Ok(await views.OneAsync(caller.Tenant, await Grain(caller, id, grains).Complete(caller.Actor, body.Notes).Unwrap()));
    }

    private static async Task<IResult> Cancel(Guid id, HttpContext http, IGrainFactory grains, CallViews views)
    {
        var caller = http.Caller();
        return Envelope.Ok(await views.OneAsync(caller.Tenant, await Grain(caller, id, grains).Cancel(caller.Actor).Unwrap()));
    }

    private static async Task<IResult> AddManagerNote(Guid id, HttpContext http, IGrainFactory grains, ManagerNoteRows notes)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<ManagerNoteRequest>(http.Request, "manager_note");
        var (field, content) = body.Content is null && body.Note is not null ? ("note", body.Note) : ("content", body.Content);
        new Validator().Required(field, content).MaxLength(field, content, 10_000).ThrowIfInvalid();
        _ = (await Grain(caller, id, grains).Get()).OrNotFound("Call not found");
        return Envelope.Created(await notes.AddAsync(caller.Tenant, id, caller.UserId, content!.Trim()));
    }

    /// <summary>The documented recording object once the WebM is finished; the documented 404 before, after a purge, or without one.</summary>
    private static async Task<IResult> Recording(Guid id, HttpContext http, IGrainFactory grains, RecordingAudit audit)
    {
        var (caller, recording) = await ReadyRecording(http, id, grains);
        await audit.AccessAsync(http, caller, id, RecordingAuditActions.View);
        return Envelope.Ok(new
        {
            id = recording.Id,
            call_id = recording.CallId,
            format = "webm",
            duration = recording.DurationSeconds,
            file_size = recording.FileSize,
            download_url = $"/api/v1/calls/{recording.CallId}/recording/download",
            transcription = recording.Transcription is { } t ? new { status = t.Status, text = t.Text, language = t.Language } : null,
            created_at = recording.CreatedAt,
        });
    }

    /// <summary>The WebM itself: byte ranges (206/416), ETag, Content-Disposition; every download is audited, once.</summary>
    private static async Task<IResult> Download(Guid id, HttpContext http, IGrainFactory grains, RecordingAudit audit, ProxiedDownloadProof proof,
        RecordingOptions options, IHttpClientFactory clients)
    {
        var (caller, recording) = await ReadyRecording(http, id, grains);
        var here = HeldHere(recording, options);
        // Another node's disk holds the file: it is streamed through from there.
        var holder = !here && recording.NodeUrl is { Length: > 0 } node && !string.Equals(node, options.NodeUrl, StringComparison.OrdinalIgnoreCase)
            ? node : null;
        if (!here && holder is null) throw ApiException.NotFound(RecordingNotFound);
        if (!proof.AlreadyAudited(http.Request, id))
            await audit.AccessAsync(http, caller, id, RecordingAuditActions.Download, http.Request.Headers.Range.FirstOrDefault());
        if (holder is not null) return await RecordingProxy.StreamAsync(http, clients, holder, id, proof.For(http.Request, id));
        var tag = new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{recording.Id:N}-{recording.FileSize}\"");
        return Results.File(recording.OutputPath, "video/webm", $"call-{id}.webm", lastModified: recording.CreatedAt, entityTag: tag, enableRangeProcessing: true);
    }

    /// <summary>A node serves only files inside its own recordings directory; with local disks, another node's file is proxied.</summary>
    private static bool HeldHere(Recording recording, RecordingOptions options)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Root)) + Path.DirectorySeparatorChar;
        return Path.GetFullPath(recording.OutputPath).StartsWith(root, StringComparison.Ordinal) && File.Exists(recording.OutputPath);
    }

    public sealed record AuditTrailPage(IReadOnlyList<AuditTrailItem> Data, ListMeta Meta);

    /// <summary>One row of the trail; <c>range</c> and <c>ip</c> only when there is one.</summary>
    public sealed record AuditTrailItem(string Action, Guid? ActorId, string? ActorName, string? Role, DateTime At,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Range,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Ip);

    /// <summary>Who read, downloaded, was refused, joined live or purged this call's recording (manager+).</summary>
    private static async Task<IResult> AuditTrail(Guid id, HttpContext http, IGrainFactory grains, RecordingRows rows)
    {
        var caller = http.Caller();
        var list = AuditSorting.Parse(http.Request.Query);
        _ = await Grain(caller, id, grains).Get() ?? throw ApiException.NotFound(RecordingNotFound);
        var page = await rows.AuditTrailAsync(caller.Tenant, id, list);
        return Envelope.List(new Page<AuditTrailItem>(
            page.Items.Select(e => new AuditTrailItem(e.Action, e.ActorId, e.ActorName, e.Role, e.At, e.Range, e.Ip)).ToList(),
            page.CurrentPage, page.PageSize, page.TotalCount));
    }

    private static async Task<(Caller, Recording)> ReadyRecording(HttpContext http, Guid id, IGrainFactory grains)
    {
        var caller = http.Caller();
        var call = await Grain(caller, id, grains).Get() ?? throw ApiException.NotFound(RecordingNotFound);
        if (!caller.AtLeast(Role.Supervisor) && call.UserId != caller.UserId) throw ApiException.Forbidden();
        var recording = await grains.GetGrain<IRecordingGrain>(caller.Key(id)).Get();
        if (recording is not { Status: RecordingStatus.Ready }) throw ApiException.NotFound(RecordingNotFound);
        return (caller, recording);
    }

    private static async Task<IResult> Transcript(Guid id, HttpContext http, IGrainFactory grains, TranscriptRows transcripts, RecordingAudit audit)
    {
        var (caller, view) = await TranscriptOf(http, id, grains);
        await audit.AccessAsync(http, caller, id, RecordingAuditActions.TranscriptView);
        var t = view.Transcription;
        var segments = t.Status == TranscriptionStatus.Completed ? await transcripts.SegmentsAsync(caller.Tenant, id) : [];
        return Envelope.Ok(new
        {
            call_id = id,
            status = t.Status,
            language = t.Language,
            text = t.Text,
            segments = segments.Select(s => new { start = s.Start, end = s.End, speaker = s.Speaker, speaker_name = s.SpeakerName, text = s.Text }),
            progress = view.Progress is { } p
                ? new { percent = p.Percent, processed_seconds = Math.Round(p.ProcessedSeconds, 1), total_seconds = Math.Round(p.TotalSeconds, 1) }
                : null,
            failure_reason = t.Status == TranscriptionStatus.Completed ? null : t.FailureReason,
        });
    }

    private static async Task<IResult> TranscriptCaptions(Guid id, HttpContext http, IGrainFactory grains, TranscriptRows transcripts, RecordingAudit audit)
    {
        var (caller, view) = await TranscriptOf(http, id, grains);
        if (view.Transcription.Status != TranscriptionStatus.Completed) throw ApiException.NotFound(TranscriptNotFound);
        await audit.AccessAsync(http, caller, id, RecordingAuditActions.TranscriptView);
        var vtt = TranscriptText.WebVtt(await transcripts.SegmentsAsync(caller.Tenant, id));
        return Results.Text(vtt, "text/vtt; charset=utf-8");
    }

    /// <summary>The transcription of a ready recording, with the recording's access rule: the attendant who handled the call, supervisors+.</summary>
    private static async Task<(Caller, TranscriptView)> TranscriptOf(HttpContext http, Guid id, IGrainFactory grains)
    {
        var caller = http.Caller();
        var call = await Grain(caller, id, grains).Get() ?? throw ApiException.NotFound(TranscriptNotFound);
        if (!caller.AtLeast(Role.Supervisor) && call.UserId != caller.UserId) throw ApiException.Forbidden();
        var view = await grains.GetGrain<IRecordingGrain>(caller.Key(id)).GetTranscript() ?? throw ApiException.NotFound(TranscriptNotFound);
        return (caller, view);
    }

    private static IResult RecordingsCannotBeDeleted(HttpResponse response)
    {
        response.Headers.Allow = "GET";
        return Results.Json(Envelope.Error("Recordings cannot be deleted"), statusCode: StatusCodes.Status405MethodNotAllowed);
    }

    /// <summary>The call, if the caller may see it: supervisors and above any call, attendants their departments' and their own.</summary>
    internal static async Task<Call> Visible(Caller caller, Guid id, IGrainFactory grains, DepartmentRows departments)
    {
        var call = (await Grain(caller, id, grains).Get()).OrNotFound("Call not found");
        if (caller.AtLeast(Role.Supervisor) || call.UserId == caller.UserId) return call;
        if ((await departments.DepartmentsOfAsync(caller.Tenant, caller.UserId)).Contains(call.DepartmentId)) return call;
        throw ApiException.Forbidden();
    }

    private static ICallGrain Grain(Caller caller, Guid id, IGrainFactory grains) => grains.GetGrain<ICallGrain>(caller.Key(id));
}
