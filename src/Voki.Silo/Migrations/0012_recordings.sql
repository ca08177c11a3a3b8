-- Recordings: one per call, tracked by its RecordingGrain and mirrored here for lists, retention
-- and for the node that holds the file (downloads on another node are proxied to it).
CREATE TABLE IF NOT EXISTS recordings (
    tenant          text NOT NULL REFERENCES companies(slug),
    call_id         uuid NOT NULL,
    id              uuid NOT NULL,
    status          text NOT NULL,
    format          text NOT NULL DEFAULT 'webm',
    duration        integer,
    file_size       bigint,
    file_path       text,
    node_url        text,
    attempts        integer NOT NULL DEFAULT 0,
    failure_reason  text,
    created_at      timestamptz,
    expires_at      timestamptz,
    purged_at       timestamptz,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant, call_id)
);
CREATE INDEX IF NOT EXISTS recordings_expiry ON recordings (expires_at) WHERE purged_at IS NULL;

-- Who fetched or purged which recording, and when: recordings are evidence, so access is audited.
CREATE TABLE IF NOT EXISTS recording_audit (
    id          bigserial PRIMARY KEY,
    tenant      text NOT NULL,
    call_id     uuid NOT NULL,
    user_id     uuid,
    action      text NOT NULL,
    byte_range  text,
    detail      text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS recording_audit_by_call ON recording_audit (tenant, call_id, at);
