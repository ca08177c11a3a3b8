-- total_customers and new_customers of a range are distinct counts, which no sum of hourly rows gives: over a year of
-- a busy tenant, counting the distinct customers of its calls took most of a second. These views keep, per customer
-- (and per customer and department), the first and last call created before the views' cut-off (0021), with the
-- customer record's creation time. A customer whose first or last call falls within a range called within it; one
-- whose calls span the range (first before it, last after it) is the only kind still looked up in calls; the calls
-- since the cut-off are read live. Refreshed with the others by POST /api/v1/analytics/refresh-views.
CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_customer_spans AS
SELECT c.tenant, c.customer_id, min(c.inserted_at) AS first_call_at, max(c.inserted_at) AS last_call_at, min(cu.inserted_at) AS created_at
FROM calls c LEFT JOIN customers cu ON cu.tenant = c.tenant AND cu.id = c.customer_id
WHERE c.customer_id IS NOT NULL AND c.inserted_at < (SELECT covers_until FROM analytics_refreshes)
GROUP BY c.tenant, c.customer_id;
CREATE UNIQUE INDEX IF NOT EXISTS analytics_customer_spans_key ON analytics_customer_spans (tenant, customer_id);
-- Most ranges end today: the customers whose last call is within them are an index range.
CREATE INDEX IF NOT EXISTS analytics_customer_spans_by_last ON analytics_customer_spans (tenant, last_call_at)
    INCLUDE (customer_id, first_call_at, created_at);

CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_department_customer_spans AS
SELECT c.tenant, c.department_id, c.customer_id, min(c.inserted_at) AS first_call_at, max(c.inserted_at) AS last_call_at,
       min(cu.inserted_at) AS created_at
FROM calls c LEFT JOIN customers cu ON cu.tenant = c.tenant AND cu.id = c.customer_id
WHERE c.customer_id IS NOT NULL AND c.inserted_at < (SELECT covers_until FROM analytics_refreshes)
GROUP BY c.tenant, c.department_id, c.customer_id;
CREATE UNIQUE INDEX IF NOT EXISTS analytics_department_customer_spans_key ON analytics_department_customer_spans (tenant, department_id, customer_id);
CREATE INDEX IF NOT EXISTS analytics_department_customer_spans_by_last ON analytics_department_customer_spans (tenant, department_id, last_call_at)
    INCLUDE (customer_id, first_call_at, created_at);
