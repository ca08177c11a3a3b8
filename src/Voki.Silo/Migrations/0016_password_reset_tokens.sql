-- Password reset tokens from the forgot-password mail: only their SHA-256 hashes, single use, short-lived.
-- A row is spent (used_at) when its token resets the password, and every outstanding row of the user is spent
-- whenever the password changes, however it changes.
CREATE TABLE IF NOT EXISTS password_reset_tokens (
    token_hash  bytea PRIMARY KEY,
    tenant      text NOT NULL,
    user_id     uuid NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    inserted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS password_reset_tokens_outstanding_by_user ON password_reset_tokens (tenant, user_id) WHERE used_at IS NULL;
