-- Voki's read model: one row per entity, written through by its grain on every change.
-- Grains stay the source of truth; these tables serve lists, filters, searches and
-- uniqueness. Every table carries the tenant and every query filters by it.

CREATE TABLE IF NOT EXISTS companies (
    slug        text PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    name        text NOT NULL,
    plan        text NOT NULL,
    inserted_at timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS users (
    tenant      text NOT NULL REFERENCES companies(slug),
    id          uuid NOT NULL,
    name        text NOT NULL,
    email       text NOT NULL,
    role        text NOT NULL,
    active      boolean NOT NULL,
    avatar_url  text,
    locale      text NOT NULL,
    inserted_at timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS users_email_per_tenant ON users (tenant, lower(email));

CREATE TABLE IF NOT EXISTS departments (
    tenant         text NOT NULL REFERENCES companies(slug),
    id             uuid NOT NULL,
    name           text NOT NULL,
    identifier     text NOT NULL,
    description    text,
    active         boolean NOT NULL,
    sector_id      uuid,
    max_queue_size integer,
    max_wait_time  integer,
    inserted_at    timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS departments_identifier_per_tenant ON departments (tenant, identifier);

CREATE TABLE IF NOT EXISTS department_members (
    tenant        text NOT NULL,
    department_id uuid NOT NULL,
    user_id       uuid NOT NULL,
    inserted_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, department_id, user_id)
);
CREATE INDEX IF NOT EXISTS department_members_by_user ON department_members (tenant, user_id);

CREATE TABLE IF NOT EXISTS access_links (
    tenant          text NOT NULL REFERENCES companies(slug),
    id              uuid NOT NULL,
    token           text NOT NULL UNIQUE,
    url             text NOT NULL,
    status          text NOT NULL,
    department_id   uuid NOT NULL,
    customer_name   text,
    customer_email  text,
    customer_phone  text,
    single_use      boolean NOT NULL,
    expires_at      timestamptz,
    used_at         timestamptz,
    call_id         uuid,
    inserted_at     timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX IF NOT EXISTS access_links_by_department ON access_links (tenant, department_id);

CREATE TABLE IF NOT EXISTS calls (
    tenant           text NOT NULL REFERENCES companies(slug),
    id               uuid NOT NULL,
    status           text NOT NULL,
    protocol         text NOT NULL,
    department_id    uuid NOT NULL,
    department_name  text,
    user_id          uuid,
    user_name        text,
    customer_name    text NOT NULL,
    customer_email   text,
    customer_phone   text,
    reason           text,
    access_link_id   uuid,
    wait_time        integer,
    duration         integer,
    rating           integer,
    rating_comment   text,
    notes            text,
    has_recording    boolean NOT NULL DEFAULT false,
    recording_status text NOT NULL DEFAULT 'none',
    assigned_at      timestamptz,
    started_at       timestamptz,
    completed_at     timestamptz,
    inserted_at      timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant, id)
);
-- Widget endpoints know only the call id; ids are random UUIDs, unique across tenants.
CREATE UNIQUE INDEX IF NOT EXISTS calls_id ON calls (id);
CREATE INDEX IF NOT EXISTS calls_by_status ON calls (tenant, status, inserted_at);
CREATE INDEX IF NOT EXISTS calls_by_department ON calls (tenant, department_id, inserted_at);
CREATE INDEX IF NOT EXISTS calls_by_user ON calls (tenant, user_id, inserted_at);

CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    family_id   uuid NOT NULL,
    tenant      text NOT NULL,
    user_id     uuid NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz,
    inserted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS refresh_tokens_by_family ON refresh_tokens (family_id);
