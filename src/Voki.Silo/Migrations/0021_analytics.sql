-- Analytics (reference §2.13, "backed by materialized views"). Tenancy is by row, so one view serves every tenant and
-- POST /api/v1/analytics/refresh-views refreshes it for all of them at once.
--
-- The views hold every call created before analytics_refreshes.covers_until, as those calls stood when the views were
-- last refreshed; answers add the calls created since (today's, at least) from the calls table, in the same snapshot,
-- so fresh calls show at once. covers_until is a UTC midnight: the refresh sets it to the start of the current UTC day
-- (five minutes back, so a call created just before midnight and written just after is not missed) and the views read
-- it from this row, in the refresh's own transaction.
CREATE TABLE IF NOT EXISTS analytics_refreshes (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    covers_until timestamptz NOT NULL,
    refreshed_at timestamptz NOT NULL
);
INSERT INTO analytics_refreshes (covers_until, refreshed_at)
VALUES (date_trunc('day', now() - interval '5 minutes', 'UTC'), now())
ON CONFLICT (singleton) DO NOTHING;

-- Per department and UTC hour of creation: what overview, hourly and trends sum up. Sums and counts, never averages,
-- so any set of hours adds up exactly.
CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_calls_hourly AS
SELECT tenant, department_id, date_trunc('hour', inserted_at, 'UTC') AS hour,
       count(*) AS total,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE status = 'missed') AS missed,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
       coalesce(sum(duration) FILTER (WHERE status = 'completed'), 0) AS duration_sum,
       count(duration) FILTER (WHERE status = 'completed') AS duration_count,
       coalesce(sum(wait_time), 0) AS wait_sum,
       count(wait_time) AS wait_count,
       coalesce(sum(rating), 0) AS rating_sum,
       count(rating) AS rating_count,
       count(*) FILTER (WHERE rating >= 4) AS satisfied_count
FROM calls
WHERE inserted_at < (SELECT covers_until FROM analytics_refreshes)
GROUP BY tenant, department_id, date_trunc('hour', inserted_at, 'UTC');
-- REFRESH … CONCURRENTLY needs a unique index; it also serves every read (tenant, range of hours).
CREATE UNIQUE INDEX IF NOT EXISTS analytics_calls_hourly_key ON analytics_calls_hourly (tenant, hour, department_id);

-- Per attendant, department and UTC day of creation: what agents sums up.
CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_agents_daily AS
SELECT tenant, department_id, user_id, date_trunc('day', inserted_at, 'UTC') AS day,
       count(*) AS total,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       coalesce(sum(duration) FILTER (WHERE status = 'completed'), 0) AS duration_sum,
       count(duration) FILTER (WHERE status = 'completed') AS duration_count,
       coalesce(sum(rating), 0) AS rating_sum,
       count(rating) AS rating_count
FROM calls
WHERE user_id IS NOT NULL AND inserted_at < (SELECT covers_until FROM analytics_refreshes)
GROUP BY tenant, department_id, user_id, date_trunc('day', inserted_at, 'UTC');
CREATE UNIQUE INDEX IF NOT EXISTS analytics_agents_daily_key ON analytics_agents_daily (tenant, day, department_id, user_id);

-- The live part of each answer (calls created since covers_until, and the partial hours or days at a range's edges)
-- and the distinct customers of a range read calls by creation time; the included columns let that be an index-only scan.
CREATE INDEX IF NOT EXISTS calls_by_time ON calls (tenant, inserted_at)
    INCLUDE (department_id, status, user_id, customer_id, duration, wait_time, rating);
-- new_customers: the customers created within the range.
CREATE INDEX IF NOT EXISTS customers_by_creation ON customers (tenant, inserted_at);
