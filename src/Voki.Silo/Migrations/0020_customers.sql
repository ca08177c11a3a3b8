-- Customers (reference §2.8). PostgreSQL is their source of truth: every use of them (search, the widget
-- join's match by e-mail or phone, merge across calls and links) is a set operation on rows.
CREATE TABLE IF NOT EXISTS customers (
    tenant      text NOT NULL REFERENCES companies(slug),
    id          uuid NOT NULL,
    name        text NOT NULL,
    email       text,
    phone       text,
    document    text,
    notes       text,
    inserted_at timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX IF NOT EXISTS customers_by_name ON customers (tenant, lower(name));
CREATE INDEX IF NOT EXISTS customers_by_email ON customers (tenant, lower(email));
CREATE INDEX IF NOT EXISTS customers_by_phone ON customers (tenant, phone);

ALTER TABLE calls ADD COLUMN IF NOT EXISTS customer_id uuid;
CREATE INDEX IF NOT EXISTS calls_by_customer ON calls (tenant, customer_id, inserted_at);
ALTER TABLE access_links ADD COLUMN IF NOT EXISTS customer_id uuid;
CREATE INDEX IF NOT EXISTS access_links_by_customer ON access_links (tenant, customer_id);
