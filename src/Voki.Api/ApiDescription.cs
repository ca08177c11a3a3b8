namespace Voki.Api;

/// <summary>The choices this API makes where the public Voki docs are silent (shown at the top of /docs).</summary>
public static class ApiDescription
{
    public const string Text = """
        Voki v4.0-compatible REST API. Authenticated requests send `Authorization: Bearer <access_token>` and
        `X-Tenant: <slug>` (must match the token, else 401). Roles, lowest first: attendant < supervisor < manager < owner.

        Conventions: snake_case JSON; one object as `{"data": …}`; lists add `meta {current_page, page_size, total_pages,
        total_count}` (page_size default 20, capped at 100; unknown sort_by → 422; page below 1 → 422; a page past the last
        is an empty `data` with the true meta). Validation errors → 422
        `{"errors": {"field": ["message"]}}`; other errors `{"errors": {"detail": "…"}}`. Bodies may be flat or wrapped in one
        root key named after the resource. Timestamps ISO 8601 UTC with Z, second precision; durations in seconds.
        Malformed JSON → 400. A request that reached a node which just died → 503 with Retry-After (GETs are retried once first).

        Choices where the public docs are silent: the widget join answers 200 as documented; a full queue → 422
        "Queue is full…"; the customer leaves the queue with POST /api/v1/call/leave/{call_id} authorised by the join's
        websocket_token; `online_agents` counts the department's active members until agent presence is available;
        refresh tokens are opaque, rotate on every use, and reuse revokes the family; logout takes {refresh_token} → 204;
        access links are single-use unless single_use=false; nobody creates or edits a user above their own role (403).
        Rate limits per client IP: 5/min on /api/auth/*, 30/min on the widget and signup (429 with Retry-After).

        Transcripts: each participant's audio is transcribed on its own, so every segment names its speaker (attendant,
        customer, supervisor) and speaker_name; start/end are seconds on the recording's timeline. `language` is BCP-47
        (the company locale, or the detected language when the locale is "detect"; null until detected). The recording's
        `transcription.text` is the merged transcript, one "Name: words" line per turn. GET …/transcript also reports
        `progress {percent, processed_seconds, total_seconds}` while processing and `failure_reason` when failed;
        …/transcript.vtt (text/vtt) answers 404 until the transcript is completed.
        """;
}
