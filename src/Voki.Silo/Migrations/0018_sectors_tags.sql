-- Sectors group departments; tags categorise calls, nested into a tree.
-- The foreign keys keep the references true across nodes and races: a department cannot name a
-- sector that is gone, a sector with departments cannot go, a tag with child tags cannot go, and a
-- deleted tag leaves every call it was on.

CREATE TABLE IF NOT EXISTS sectors (
    tenant      text NOT NULL REFERENCES companies(slug),
    id          uuid NOT NULL,
    name        text NOT NULL,
    description text,
    active      boolean NOT NULL,
    inserted_at timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS sectors_name_per_tenant ON sectors (tenant, lower(name));

-- Until now sector_id was stored unchecked, and no sector existed: every value named nothing.
UPDATE departments d SET sector_id = NULL
 WHERE sector_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sectors s WHERE s.tenant = d.tenant AND s.id = d.sector_id);
ALTER TABLE departments DROP CONSTRAINT IF EXISTS departments_sector_fk;
ALTER TABLE departments ADD CONSTRAINT departments_sector_fk FOREIGN KEY (tenant, sector_id) REFERENCES sectors (tenant, id);
CREATE INDEX IF NOT EXISTS departments_by_sector ON departments (tenant, sector_id);

CREATE TABLE IF NOT EXISTS tags (
    tenant      text NOT NULL REFERENCES companies(slug),
    id          uuid NOT NULL,
    name        text NOT NULL,
    color       text NOT NULL,
    parent_id   uuid,
    inserted_at timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant, id),
    CONSTRAINT tags_parent_fk FOREIGN KEY (tenant, parent_id) REFERENCES tags (tenant, id)
);
-- Two tags under the same parent never share a name (case-insensitively).
CREATE UNIQUE INDEX IF NOT EXISTS tags_name_per_parent
    ON tags (tenant, COALESCE(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name));

CREATE TABLE IF NOT EXISTS call_tags (
    tenant      text NOT NULL,
    call_id     uuid NOT NULL,
    tag_id      uuid NOT NULL,
    user_id     uuid,
    inserted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, call_id, tag_id),
    CONSTRAINT call_tags_call_fk FOREIGN KEY (tenant, call_id) REFERENCES calls (tenant, id) ON DELETE CASCADE,
    CONSTRAINT call_tags_tag_fk FOREIGN KEY (tenant, tag_id) REFERENCES tags (tenant, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS call_tags_by_tag ON call_tags (tenant, tag_id);

