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
        "Queue is full…"; the join's websocket_token is also the customer's Bearer token for the widget: POST
        /api/v1/call/leave/{call_id} and POST /api/v1/call/evaluate/{call_id} require it (401 without it: a call id alone
        rates nothing), GET /api/v1/call/turn-credentials requires it while the call is not over (or a staff access token),
        and GET /api/v1/call/status/{call_id} stays open but names the attendant (`user_name`) only to it; public signup
        always creates a `free` tenant (an operator changes plans); the widget's `online_agents` counts the staff members
        connected to the department's presence topic, and `estimated_wait_time` = ceil(W × position / max(1, online_agents)) with W
        the average wait of the department's last 20 answered calls (180 s before there is one);
        refresh tokens are opaque, rotate on every use, and reuse revokes the family; deactivating a user or changing
        their role or password ends every session of theirs at once (their access and refresh tokens answer 401, their
        sockets close and reconnecting is refused); logout takes {refresh_token} → 204;
        MFA is TOTP (RFC 6238, 6 digits, 30 s): a user enrols with POST /api/v1/users/me/mfa/setup and …/enable (10 single-use
        recovery codes, shown once); a login of a user with MFA, or of any user when the company sets mfa_required, answers
        `{mfa_required: true, mfa_setup_required, mfa_token}` and POST /api/auth/mfa/verify finishes it (a user without MFA
        first gets a secret from POST /api/auth/mfa/setup with the mfa_token); a code is accepted once; a manager turns a
        user's MFA off with mfa_enabled=false on PUT /api/v1/users/{id};
        passwords: PUT /api/v1/users/me/password {current_password, password} (any signed-in user; a wrong current password
        → 422 on current_password) answers a fresh session shaped like login's, since the change ends every session;
        POST /api/auth/forgot-password {email, tenant} always answers 200 with the same message and mails an active account
        a single-use link (`/app?reset_token=…`, 30 minutes); POST /api/auth/reset-password {token, password,
        password_confirmation?} → 200, ends every session, and the user logs in again; a bad token → 422 on token;
        access links are single-use unless single_use=false; nobody creates or edits a user above their own role (403).
        Rate limits per client IP (IPv6 per /64): 5/min on /api/auth/*, 30/min on the widget, 5/hour on signup, 10/hour on
        forgot-password (429 with Retry-After); at most 3 reset mails an hour per account, beyond which forgot still answers the same.

        Updates: a field left out stays as it is; `null` clears a nullable field (a department's description, sector_id,
        max_queue_size, max_wait_time; the company's email, phone, logo_url, document; a user's avatar_url; a sector's
        description; a tag's parent_id) and is refused with "can't be blank" on a required one. A department created
        without an identifier gets one from its name, the first free of "suporte-tecnico", "suporte-tecnico-2", …
        Sectors: a department's sector_id must name one of the tenant's sectors (422 "does not exist"); a sector with
        departments is not deleted (422 naming them). Tags: names are unique among siblings; a tag with child tags is not
        deleted (422 naming them); deleting a tag takes it off every call; call objects carry `tags` and `manager_notes`.
        The widget join checks the link before the body (a bad link is the documented 404 whatever the body); the
        evaluation answers `rating_comment`, as the call names it.

        Customers: `document` is a CPF or CNPJ with valid check digits, with or without punctuation, stored formatted
        (422 "is not a valid CPF or CNPJ"). A widget join is tied to the link's `customer_id` when that customer exists,
        else to the customer with the join's e-mail (any case), else with its phone, else to a new one (customer.created);
        a match takes the join's name and phone, and its e-mail only when it had none. Calls and access links carry
        `customer_id` (a single-use link without one takes its join's customer); GET /api/v1/calls?customer_id=… lists a
        customer's calls. POST /api/v1/customers/merge {primary_id, duplicate_ids} (supervisor) re-points the duplicates'
        calls and links, fills the primary's empty fields from them and deletes them, in one transaction; deleting a
        customer leaves its calls and links with `customer_id` null.
        CSV export (supervisor): streamed as the rows are read; RFC 4180 with CRLF; a text cell starting with =, +, -, @,
        a tab or a carriage return is written with a leading ' (and quoted) so a spreadsheet never runs it. links.csv
        columns: id,token,url,status,department,customer_name,customer_email,customer_phone,expires_at,used_at,created_at.

        Analytics (manager and above): overview and hourly on every plan (the "Basic" analytics of free and basic); agents
        and trends need full analytics (advanced and up, `analytics_enabled` in GET /api/v1/billing/plan), else 403
        `{"errors":{"detail":"… is part of the full analytics, which the free plan does not include …"}}`. Days and hours are
        UTC (a company has no time zone setting); a call counts by its creation time. Answers come from materialized views
        for calls created before the views' cut-off (the UTC midnight before their last refresh) plus the calls table for
        later ones, in one snapshot, so today's calls show at once; an older call changed since the refresh shows its new
        state after the next one (nodes refresh every 30 minutes; POST /api/v1/analytics/refresh-views refreshes now).
        Averages are null, and rates too, when no call has the figure. `online_time` is not reported (presence keeps no history).

        Transcripts: each participant's audio is transcribed on its own, so every segment names its speaker (attendant,
        customer, supervisor) and speaker_name; start/end are seconds on the recording's timeline. `language` is BCP-47
        (the company locale, or the detected language when the locale is "detect"; null until detected). The recording's
        `transcription.text` is the merged transcript, one "Name: words" line per turn. GET …/transcript also reports
        `progress {percent, processed_seconds, total_seconds}` while processing and `failure_reason` when failed;
        …/transcript.vtt (text/vtt) answers 404 until the transcript is completed.

        Recording audit trail: every access to a call's recording is written before it is answered, and listed by
        GET /api/v1/calls/{call_id}/recording/audit (manager and above), oldest first, paginated like every list:
        `view` (GET …/recording), `download` (with its `range`), `transcript_view` (…/transcript and …/transcript.vtt),
        `denied` (a 401 or 403 on those routes: a 401 has no actor, only its `ip`; a 403 names the member), `live_join`
        (a staff member other than the assignee joins the call's real-time channel) and `purge` (retention, no actor).
        `actor_name` is the member's current name, `role` the role they had then; `range` and `ip` appear when known.
        A download that a node streams from the node holding the file is listed once. A read whose audit row cannot be
        written fails rather than go unaudited.

        Webhooks (advanced plans and up; manager and above): /api/v1/webhooks configures endpoints `{url, events, secret?,
        description?, active}`. Events: call.created, call.assigned, call.started, call.completed, call.missed,
        call.cancelled (data: the call object of GET /api/v1/calls/{id} at that moment), customer.created (a widget
        join's new customer or one created through the API; data: the customer object), recording.ready, recording.failed
        (data: the recording object of GET …/recording plus `status`), transcription.completed, transcription.failed (data:
        the transcript object of GET …/transcript). Each delivery is a POST of `{id, event, timestamp, tenant, data}`
        (application/json) with the headers `X-Voki-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`,
        `X-Voki-Timestamp` (Unix seconds of this attempt), `X-Voki-Timestamp-Signature: sha256=<hex HMAC-SHA256(secret,
        "<X-Voki-Timestamp>.<raw body>")>`, `X-Voki-Event-Id` (= `id`), `X-Voki-Event` and `X-Voki-Delivery-Id`. A
        receiver verifies the signature over the raw bytes before parsing, with a constant-time comparison. To refuse
        replays it verifies X-Voki-Timestamp-Signature, refuses a timestamp more than 5 minutes from its clock, and keeps
        the event ids it has processed for at least that long: delivery is at least once, so the same `id` can also
        arrive twice legitimately (a retry) and is processed once. Any 2xx answer within 10 s delivers; anything else
        (another status, a timeout, a redirect, a refused connection) is retried with exponential back-off and jitter
        (10 s doubling, at most 1 h apart) for 24 hours after the event, then the delivery is `failed` with its last
        status. A call's events (its states, then its recording and transcript) reach each endpoint in the order they
        happened: a later one waits while an earlier one is retried. URLs on loopback, private, link-local, CGNAT and
        other non-public addresses are refused when saved and again when a delivery connects (the name is resolved
        then). GET /api/v1/webhooks/{id}/deliveries is the delivery log with every attempt.
        """;
}
