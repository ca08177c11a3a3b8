using System.Text.Json;
using Voki.Grains.Model;

namespace Voki.Grains.Webhooks;

/// <summary>The events a webhook subscribes to: the documented ones (reference §2.15) and ours.</summary>
public static class WebhookEvents
{
    public const string CallCreated = "call.created", CallAssigned = "call.assigned", CallStarted = "call.started",
        CallCompleted = "call.completed", CallMissed = "call.missed", CallCancelled = "call.cancelled",
        RecordingReady = "recording.ready", RecordingFailed = "recording.failed",
        TranscriptionCompleted = "transcription.completed", TranscriptionFailed = "transcription.failed",
        CustomerCreated = "customer.created";

    /// <summary>What POST /api/v1/webhooks/:id/test sends, whatever the webhook subscribes to.</summary>
    public const string Test = "webhook.test";

    public static readonly string[] All =
    [
        CallCreated, CallAssigned, CallStarted, CallCompleted, CallMissed, CallCancelled, CustomerCreated,
        RecordingReady, RecordingFailed, TranscriptionCompleted, TranscriptionFailed,
    ];
}

/// <summary>
/// One event, written to the outbox with the change it reports. Its id and timestamp are fixed here, so every
/// endpoint and every retry gets the same body: receivers de-duplicate on <c>id</c>. Events with the same
/// <see cref="OrderingKey"/> (one call: its states, then its recording and transcription) reach an endpoint in order.
/// </summary>
public sealed record WebhookEvent(string Name, string? OrderingKey, object Data)
{
    public Guid Id { get; init; } = Guid.NewGuid();
    public DateTime Timestamp { get; init; } = Clock.Now();

    /// <summary>The payload, <c>{id, event, timestamp, tenant, data}</c>, in the API's JSON.</summary>
    public string Body(string tenant) =>
        JsonSerializer.Serialize(new Payload(Id, Name, Timestamp, tenant, Data), ApiJson.Options);

    private sealed record Payload(Guid Id, string Event, DateTime Timestamp, string Tenant, object Data);

    public static readonly IReadOnlyList<WebhookEvent> None = [];
}

/// <summary>Which events a call's state change makes, with the call object as the API shows it.</summary>
public static class CallWebhookEvents
{
    public static IReadOnlyList<WebhookEvent> Between(Call before, Call after)
    {
        var names = new List<string>();
        if (!before.Exists && after.Exists) names.Add(WebhookEvents.CallCreated);
        if (after.UserId is { } assignee && assignee != before.UserId) names.Add(WebhookEvents.CallAssigned);
        if (before.Status == CallStatus.Queued && after.Status == CallStatus.Active) names.Add(WebhookEvents.CallStarted);
        if (before.Exists && !CallStatus.IsFinal(before.Status) && CallStatus.IsFinal(after.Status)) names.Add("call." + after.Status);
        if (names.Count == 0) return WebhookEvent.None;
        return names.Select(name => new WebhookEvent(name, after.Id.ToString(), after)).ToList();
    }
}

/// <summary>The recording and transcript objects of GET …/recording and GET …/transcript, as event data.</summary>
public static class RecordingWebhookEvents
{
    public static WebhookEvent Recording(string name, Recording r) => new(name, r.CallId.ToString(), new
    {
        id = r.Id,
        call_id = r.CallId,
        format = "webm",
        status = r.Status,
        duration = r.DurationSeconds,
        file_size = r.FileSize,
        download_url = r.Status == RecordingStatus.Ready ? $"/api/v1/calls/{r.CallId}/recording/download" : null,
        transcription = r.Transcription is { } t ? new { status = t.Status, text = t.Text, language = t.Language } : null,
        // No failure reason: a composition's error names paths on the node.
        created_at = r.CreatedAt,
    });

    public static WebhookEvent Transcription(string name, Guid callId, Transcription t, IReadOnlyList<TranscriptSegment> segments) =>
        new(name, callId.ToString(), new
        {
            call_id = callId,
            status = t.Status,
            language = t.Language,
            text = t.Text,
            segments = segments.Select(s => new { start = s.Start, end = s.End, speaker = s.Speaker, speaker_name = s.SpeakerName, text = s.Text }),
            failure_reason = t.Status == TranscriptionStatus.Completed ? null : t.FailureReason,
        });
}
