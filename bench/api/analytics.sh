#!/usr/bin/env bash
# The analytics benchmark (./voki bench analytics; hold /tmp/voki-heavy.lock). Starts its own PostgreSQL
# (.data/bench/analytics-pg, port 55444) and one Release node (HTTP 127.0.0.1:5190), creates a tenant on the enterprise
# plan with 4 departments and 20 attendants through the API, writes a year of calls (1,000,000 by default) and their
# customers straight into the read model with generate_series (seed-calls.sql), refreshes the views through
# POST /api/v1/analytics/refresh-views (timed), then measures each analytics endpoint with wrk (p50/p95/p99).
# Overrides: BENCH_CALLS (1000000), BENCH_CUSTOMERS (200000), BENCH_CONNECTIONS ("1 4": each endpoint at each), BENCH_THREADS (2),
#            BENCH_DURATION (20s), BENCH_WARMUP (5s), VOKI_BENCH_PG_PORT (55444), VOKI_BENCH_HTTP_PORT (5190), VOKI_SKIP_BUILD=1.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export BENCH_DIR
source "$BENCH_DIR/../../voki"
source "$BENCH_DIR/node.sh"

CALLS="${BENCH_CALLS:-1000000}"
CUSTOMERS="${BENCH_CUSTOMERS:-200000}"
CONNECTIONS="${BENCH_CONNECTIONS:-1 4}"
THREADS="${BENCH_THREADS:-2}"
DURATION="${BENCH_DURATION:-20s}"
WARMUP="${BENCH_WARMUP:-5s}"
PG_PORT="${VOKI_BENCH_PG_PORT:-55444}"
HTTP_PORT="${VOKI_BENCH_HTTP_PORT:-5190}"
SILO_PORT=11190 GATEWAY_PORT=30090
BENCH_DATA="$DATA/bench"
PG_DIR="$BENCH_DATA/analytics-pg"
BASE="http://127.0.0.1:$HTTP_PORT"
export BENCH_TENANT=bench-analytics BENCH_PASSWORD=bench-password-1
OPERATOR_TOKEN="bench-operator-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d voki -v ON_ERROR_STOP=1 -q)

bench_preflight
bench_stop_on_exit
bench_banner
bench_fresh_database "(default settings)"
# The seeding takes minutes; the one refresh the benchmark asks for must not be taken for a repeat of the node's start.
bench_start_node analytics-node.log "$OPERATOR_TOKEN" Analytics__MinRefreshInterval=00:00:00

say "setting up: tenant '$BENCH_TENANT' (enterprise plan), 4 departments, 20 attendants"
bench_enterprise_tenant "Analytics benchmark" "$OPERATOR_TOKEN"
DEPARTMENTS=()
for d in Vendas Suporte Financeiro Ouvidoria; do
  DEPARTMENTS+=("$(api POST /api/v1/departments "{\"department\":{\"name\":\"$d\"}}" "${AUTH[@]}" | jq -r .data.id)")
done
for i in $(seq 1 20); do
  user="$(api POST /api/v1/users "{\"user\":{\"name\":\"Atendente $i\",\"email\":\"agent-$i@bench.example\",\"password\":\"$BENCH_PASSWORD\",\"role\":\"attendant\"}}" "${AUTH[@]}" | jq -r .data.id)"
  api POST "/api/v1/departments/${DEPARTMENTS[$(( (i - 1) % 4 ))]}/users" "{\"user_id\":\"$user\"}" "${AUTH[@]}" >/dev/null
done
export BENCH_TOKEN="$TOKEN"

say "writing $CALLS calls over the last 365 days and $CUSTOMERS customers into the read model (seed-calls.sql)"
SEED_START="$(date +%s.%N)"
"${PSQL[@]}" -v tenant="$BENCH_TENANT" -v calls="$CALLS" -v customers="$CUSTOMERS" -f "$BENCH_DIR/seed-calls.sql"
say "seeded in $(awk -v a="$SEED_START" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}') s; calls table $("${PSQL[@]}" -Atc "SELECT pg_size_pretty(pg_total_relation_size('calls'))") with its indexes"

REFRESH_TIMES=()
for run in 1 2 3; do
  t0="$(date +%s.%N)"
  api POST /api/v1/analytics/refresh-views "" "${AUTH[@]}" | jq -e '.data.refreshed == true' >/dev/null
  REFRESH_TIMES+=("$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')")
done
say "POST /api/v1/analytics/refresh-views (the four views, $CALLS calls): ${REFRESH_TIMES[*]} s in three runs; analytics_calls_hourly now has \
$("${PSQL[@]}" -Atc 'SELECT count(*) FROM analytics_calls_hourly') rows, analytics_agents_daily $("${PSQL[@]}" -Atc 'SELECT count(*) FROM analytics_agents_daily')"

TODAY="$(date -u +%Y-%m-%d)"
YEAR_AGO="$(date -u -d '365 days ago' +%Y-%m-%d)"
say "what the answers say (a year: $(api GET "/api/v1/analytics/overview?date_from=$YEAR_AGO" "" "${AUTH[@]}" | jq -c '.data | {total_calls, completed_calls, completion_rate, satisfaction_rate, total_customers}'))"
say "  last 30 days: $(api GET /api/v1/analytics/overview "" "${AUTH[@]}" | jq -c .data)"
say "  agents: $(api GET /api/v1/analytics/agents "" "${AUTH[@]}" | jq -c '.data | length') rows; trends by month: $(api GET '/api/v1/analytics/trends?period=month' "" "${AUTH[@]}" | jq -c '[.data[].total]')"

RESULTS=()
measure() { # measure NAME PATH: at each of $CONNECTIONS concurrent connections
  local name="$1" path="$2" c threads
  for c in $CONNECTIONS; do
    threads=$(( c < THREADS ? c : THREADS ))
    local opts=(-t"$threads" -c"$c" --timeout 30s -s "$BENCH_DIR/analytics.lua")
    say "$name: warm-up $WARMUP, then wrk ${opts[*]} -d$DURATION --latency '$BASE$path'"
    BENCH_NAME="$name" wrk "${opts[@]}" -d"$WARMUP" "$BASE$path" >/dev/null
    BENCH_NAME="$name" wrk "${opts[@]}" -d"$DURATION" --latency "$BASE$path" > "$BENCH_DATA/analytics-$name-c$c.txt"
    RESULTS+=("$c $(grep '^RESULT' "$BENCH_DATA/analytics-$name-c$c.txt")")
  done
}

measure overview "/api/v1/analytics/overview"
measure overview-dept "/api/v1/analytics/overview?department_id=${DEPARTMENTS[0]}"
measure overview-year "/api/v1/analytics/overview?date_from=$YEAR_AGO&date_to=$TODAY"
measure hourly "/api/v1/analytics/hourly"
measure agents "/api/v1/analytics/agents"
measure trends-day "/api/v1/analytics/trends"
measure trends-month "/api/v1/analytics/trends?period=month"

say "summary ($CALLS calls; wrk with up to $THREADS threads, $DURATION after a $WARMUP warm-up; load average now $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '%-14s %6s %12s %9s %9s %9s %10s %8s %8s\n' target conns 'requests/s' 'p50 ms' 'p95 ms' 'p99 ms' requests non-2xx errors
for line in "${RESULTS[@]}"; do
  read -r c _ name rps p50 p95 p99 total non2xx errors <<<"$line"
  printf '%-14s %6s %12s %9s %9s %9s %10s %8s %8s\n' "$name" "$c" "$rps" "$p50" "$p95" "$p99" "$total" "$non2xx" "$errors"
done
