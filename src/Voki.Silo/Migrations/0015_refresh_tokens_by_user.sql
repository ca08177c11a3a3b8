-- Ending a user's sessions (deactivation, role or password change) revokes every live family of that user.
CREATE INDEX IF NOT EXISTS refresh_tokens_live_by_user ON refresh_tokens (tenant, user_id) WHERE revoked_at IS NULL;
