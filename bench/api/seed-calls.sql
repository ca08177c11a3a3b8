-- One tenant's year of calls, written straight into the read model (the API would take hours): :calls calls spread
-- evenly over the last 365 days up to now, over the tenant's departments and attendants, with :customers customers
-- created evenly over the same year, each call's customer one created before it. 82 % completed (60 % of them rated, 4 or 5
-- for 64 % of the ratings), 12 % missed, 6 % cancelled; waits 0–300 s, durations 60–900 s. Deterministic (setseed).
\set ON_ERROR_STOP on
SELECT setseed(0.42);
CREATE TEMP TABLE bench_departments AS
  SELECT id, (row_number() OVER (ORDER BY id) - 1)::int AS n FROM departments WHERE tenant = :'tenant';
CREATE TEMP TABLE bench_agents AS
  SELECT id, (row_number() OVER (ORDER BY id) - 1)::int AS n FROM users WHERE tenant = :'tenant' AND role = 'attendant';
INSERT INTO customers (tenant, id, name, email, inserted_at, updated_at)
SELECT :'tenant', gen_random_uuid(), 'Customer ' || k, 'customer' || k || '@bench.example',
       now() - interval '366 days' + k * (interval '365 days' / :customers), now()
FROM generate_series(0, :customers - 1) k;
CREATE TEMP TABLE bench_customers AS
  SELECT id, (row_number() OVER (ORDER BY inserted_at, id) - 1)::int AS n FROM customers WHERE tenant = :'tenant';
CREATE UNIQUE INDEX ON bench_customers (n);
ANALYZE bench_departments; ANALYZE bench_agents; ANALYZE bench_customers;

INSERT INTO calls (tenant, id, status, protocol, department_id, department_name, user_id, customer_name, customer_id,
                   wait_time, duration, rating, started_at, completed_at, inserted_at, updated_at)
SELECT :'tenant', gen_random_uuid(), g.status, 'B' || g.i, d.id, 'Benchmark', CASE WHEN g.status = 'completed' THEN a.id END,
       'Customer', cu.id,
       CASE WHEN g.status = 'completed' THEN g.wait END,
       CASE WHEN g.status = 'completed' THEN g.duration END,
       CASE WHEN g.status = 'completed' AND g.rated < 0.6 THEN 1 + floor(sqrt(g.stars) * 5)::int END,
       CASE WHEN g.status = 'completed' THEN g.at + make_interval(secs => g.wait) END,
       CASE WHEN g.status = 'completed' THEN g.at + make_interval(secs => g.wait + g.duration) END,
       g.at, g.at
FROM (SELECT i, now() - interval '365 days' + i * (interval '365 days' / :calls) AS at,
             CASE WHEN random() < 0.82 THEN 'completed' WHEN random() < 0.667 THEN 'missed' ELSE 'cancelled' END AS status,
             floor(random() * 301)::int AS wait, 60 + floor(random() * 841)::int AS duration, random() AS rated, random() AS stars,
             floor(random() * i / :calls * :customers)::int AS customer
      FROM generate_series(1, :calls) i) g
JOIN bench_departments d ON d.n = g.i % (SELECT count(*) FROM bench_departments)
JOIN bench_agents a ON a.n = (g.i / 7) % (SELECT count(*) FROM bench_agents)
JOIN bench_customers cu ON cu.n = least(g.customer, :customers - 1);

VACUUM ANALYZE calls;
VACUUM ANALYZE customers;
SELECT count(*) AS calls, min(inserted_at) AS oldest, max(inserted_at) AS newest FROM calls WHERE tenant = :'tenant';
