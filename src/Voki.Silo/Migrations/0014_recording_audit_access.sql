-- Every access to a recording, its transcript or its live call is audited, refusals included: the role the
-- actor had at the time (roles change later) and the address the request came from (a refusal without a
-- valid token has no actor, only its address).
ALTER TABLE recording_audit ADD COLUMN IF NOT EXISTS role text;
ALTER TABLE recording_audit ADD COLUMN IF NOT EXISTS ip text;
