-- Outgoing webhooks (decisions.md "Webhooks"): a tenant's endpoints, and the outbox of their deliveries.
-- A delivery row is written in the same transaction as the read-model change it reports (one row per subscribed
-- endpoint), so a committed change always has its deliveries and a rolled-back one never does. Every node's
-- dispatcher claims due rows with FOR UPDATE SKIP LOCKED and holds the row lock while it sends, so one attempt
-- is only ever made by one node; a crash mid-send rolls the claim back and the attempt is made again (at least once).
CREATE TABLE IF NOT EXISTS webhooks (
    tenant      text NOT NULL REFERENCES companies(slug),
    id          uuid NOT NULL,
    url         text NOT NULL,
    events      text[] NOT NULL,
    secret      text NOT NULL,
    description text,
    active      boolean NOT NULL,
    inserted_at timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE IF NOT EXISTS webhook_deliveries (
    -- Commit order of the changes: within one ordering key (a call) deliveries go out in this order.
    seq             bigserial PRIMARY KEY,
    id              uuid NOT NULL UNIQUE,
    tenant          text NOT NULL,
    webhook_id      uuid NOT NULL,
    -- The same for every endpoint and every attempt of one event: receivers de-duplicate on it.
    event_id        uuid NOT NULL,
    event           text NOT NULL,
    ordering_key    text,
    -- The exact bytes sent (and signed) at every attempt.
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending',
    attempt_count   integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_status_code integer,
    last_error      text,
    attempts        jsonb NOT NULL DEFAULT '[]',
    delivered_at    timestamptz,
    inserted_at     timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    FOREIGN KEY (tenant, webhook_id) REFERENCES webhooks(tenant, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_in_order ON webhook_deliveries (webhook_id, ordering_key, seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_webhook ON webhook_deliveries (tenant, webhook_id, inserted_at);
