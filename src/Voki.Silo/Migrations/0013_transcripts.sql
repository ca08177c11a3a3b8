-- Transcriptions: one per recording that has one, tracked by the RecordingGrain and mirrored here;
-- the segments are the transcript itself (per speaker, seconds on the call's timeline).
CREATE TABLE IF NOT EXISTS transcripts (
    tenant          text NOT NULL REFERENCES companies(slug),
    call_id         uuid NOT NULL,
    status          text NOT NULL,
    locale          text NOT NULL,
    language        text,
    text            text,
    segment_count   integer NOT NULL DEFAULT 0,
    audio_seconds   double precision,
    attempts        integer NOT NULL DEFAULT 0,
    failure_reason  text,
    requested_at    timestamptz NOT NULL,
    started_at      timestamptz,
    completed_at    timestamptz,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant, call_id)
);
CREATE INDEX IF NOT EXISTS transcripts_unfinished ON transcripts (status) WHERE status IN ('pending', 'processing');

CREATE TABLE IF NOT EXISTS transcript_segments (
    tenant          text NOT NULL,
    call_id         uuid NOT NULL,
    position        integer NOT NULL,
    start_seconds   double precision NOT NULL,
    end_seconds     double precision NOT NULL,
    speaker         text NOT NULL,
    speaker_name    text NOT NULL,
    text            text NOT NULL,
    PRIMARY KEY (tenant, call_id, position)
);
