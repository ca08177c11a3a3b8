-- Queue order independent of timestamps: two customers joining in the same second still get
-- distinct positions, in the order they joined.
ALTER TABLE calls ADD COLUMN IF NOT EXISTS queue_order bigserial;
CREATE INDEX IF NOT EXISTS calls_queue ON calls (tenant, department_id, status, queue_order);
