-- Notes supervisors and managers leave on a call (reference §2.1 manager-notes); only ever added.
CREATE TABLE IF NOT EXISTS call_manager_notes (
    tenant      text NOT NULL,
    id          uuid NOT NULL,
    call_id     uuid NOT NULL,
    user_id     uuid NOT NULL,
    content     text NOT NULL,
    inserted_at timestamptz NOT NULL,
    -- The order they were added in: timestamps have second precision, so two notes can share one.
    position    bigint GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (tenant, id),
    CONSTRAINT call_manager_notes_call_fk FOREIGN KEY (tenant, call_id) REFERENCES calls (tenant, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS call_manager_notes_by_call ON call_manager_notes (tenant, call_id, position);
