namespace Voki.Api.Realtime;

/// <summary>The real-time part of the API description shown at the top of /docs (the socket is not an OpenAPI operation).</summary>
public static class RealtimeDescription
{
    public const string Text = """


        Real time: `GET /socket/websocket?token=<access_token | websocket_token>&vsn=2.0.0` speaks Phoenix Channels
        (V2 array frames; V1 object frames when vsn is absent or 1.x), so the official `phoenix` client works unchanged:
        `new Socket(".../socket", {params: {token}})`. A missing, invalid or expired token → 403 before the upgrade. The
        client sends `heartbeat` on topic `phoenix` (answered ok); a socket silent for 60 s is closed. Topics, all inside the
        token's tenant: `call:{call_id}` — the customer whose websocket_token names the call, the assigned attendant, and
        supervisors and above (as role "supervisor"); `queue:{department_id}` and `presence:{department_id}` — active members
        of the department, supervisors and above any; `notification:{user_id}` — that user only. A refused join →
        phx_reply `{"status":"error","response":{"reason":"unauthorized"}}`; an unknown topic → reason "unmatched topic".
        call: the join reply is `{participant_id ("customer" or the user id), role, name, call_id, status, user_id}`. Client
        events: `signal {type:"offer"|"answer", sdp}` (an offer is answered ok, then `signal {type:"answer", sdp}` is pushed; a
        refusal or malformed payload → error with a reason), `ice_candidate` (accepted; the SFU is ICE-lite),
        `mute {type:"audio"|"video", muted}` (the others receive `mute {participant_id, type, muted}`), `join {}` (a
        supervisor enters an active call's media). Media is negotiated only once the call is taken: the customer and the
        assignee offer after `call_assigned` (before, reason "call not assigned"), a supervisor after `join` on an active
        call (reasons "call not active", "call not joined"). Each socket may send 50 events on a topic at once, then 10 a
        second; beyond, reason "rate limited". Server events:
        `participant_joined` / `participant_left {participant_id, role, name}` (participant_left adds a `reason` when the
        media ended without the participant leaving: "consent expired", "DTLS handshake failed", or "call_ended" — sent for
        every participant in the media session, just before `call_ended`), `call_assigned {call_id, user_id, user_name}`,
        `call_started {call_id, user_id, user_name, started_at}`, `call_ended {call_id, status}` (completed, missed or
        cancelled), and the SFU's `signal` offers and `ice_candidate`s. queue: `customer_joined {call_id, customer_name,
        position, inserted_at, department_id, reason, protocol}`, `customer_left {call_id, status}`, `call_assigned`.
        presence: `presence_state` and `presence_diff {joins, leaves}` in Phoenix Presence's shape, keyed by user id, each
        meta `{phx_ref, name, role, online_at}`; an entry whose node stops refreshing it disappears within 60 s.
        """;
}
