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
source "$BENCH_DIR/../../voki"

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

command -v wrk >/dev/null || apt_install wrk
command -v jq >/dev/null || apt_install jq
for p in "$HTTP_PORT" "$SILO_PORT" "$GATEWAY_PORT"; do
  if port_busy "$p"; then echo "port $p is already in use on 127.0.0.1 (another benchmark?)" >&2; exit 1; fi
done
mkdir -p "$BENCH_DATA"

NODE_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    say "stopping the benchmark node"
    kill -TERM "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
  fi
  pg_stop "$PG_DIR"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, Linux $(uname -r)"
say "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine skews the figures)"
say "tools: .NET SDK $(dotnet --version), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"

pg_start "$PG_DIR" "$PG_PORT" "" || true
say "fresh database voki on 127.0.0.1:$PG_PORT (default settings)"
PGOPTIONS='-c client_min_messages=warning' psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc 'DROP DATABASE IF EXISTS voki WITH (FORCE)' >/dev/null
ensure_database "$PG_PORT" voki
[ "${VOKI_SKIP_BUILD:-0}" = 1 ] || build Release

say "starting the node: Production environment, HTTP $BASE, log in ${BENCH_DATA#$ROOT/}/analytics-node.log"
(
  export ConnectionStrings__Voki="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=voki;Maximum Pool Size=100"
  export ASPNETCORE_URLS="$BASE" ASPNETCORE_ENVIRONMENT=Production
  export Node__SiloPort="$SILO_PORT" Node__GatewayPort="$GATEWAY_PORT"
  export Auth__SigningKey="bench-signing-key-$(head -c 24 /dev/urandom | base64)"
  export RateLimits__AuthPerMinute=100000000 RateLimits__PublicPerMinute=100000000
  # The seeding takes minutes; the one refresh the benchmark asks for must not be taken for a repeat of the node's start.
  export Analytics__MinRefreshInterval=00:00:00
  export Operator__Token="$OPERATOR_TOKEN" Recordings__Root="$BENCH_DATA/recordings"
  exec dotnet "$ROOT/src/Voki.Api/bin/Release/net10.0/Voki.Api.dll" --contentRoot "$ROOT/src/Voki.Api"
) > "$BENCH_DATA/analytics-node.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 1 120); do
  curl -sf "$BASE/readyz" >/dev/null && break
  kill -0 "$NODE_PID" 2>/dev/null || { tail -20 "$BENCH_DATA/analytics-node.log" >&2; echo "the node exited" >&2; exit 1; }
  sleep 0.5
done
curl -sf "$BASE/readyz" >/dev/null || { echo "the node did not become ready" >&2; exit 1; }

# api METHOD PATH [BODY] [curl args...]: prints the response body; fails on a status other than 2xx.
api() {
  local method="$1" path="$2" body="${3:-}" out status
  shift $(( $# < 3 ? $# : 3 ))
  local args=(-sS -X "$method" "$BASE$path" -H 'Content-Type: application/json' -w '\n%{http_code}')
  [ -z "$body" ] || args+=(--data "$body")
  out="$(curl "${args[@]}" "$@")"
  status="${out##*$'\n'}"
  out="${out%$'\n'*}"
  case "$status" in 2??) printf '%s' "$out" ;; *) echo "$method $path -> $status: $out" >&2; return 1 ;; esac
}

say "setting up: tenant '$BENCH_TENANT' (enterprise plan), 4 departments, 20 attendants"
api POST /api/signup/register "{\"company\":{\"name\":\"Analytics benchmark\",\"slug\":\"$BENCH_TENANT\"},
  \"user\":{\"name\":\"Owner\",\"email\":\"owner@bench.example\",\"password\":\"$BENCH_PASSWORD\"}}" >/dev/null
api PUT "/api/operator/tenants/$BENCH_TENANT/plan" '{"plan":"enterprise"}' -H "Authorization: Bearer $OPERATOR_TOKEN" >/dev/null
TOKEN="$(api POST /api/auth/login "{\"email\":\"owner@bench.example\",\"password\":\"$BENCH_PASSWORD\",\"tenant\":\"$BENCH_TENANT\"}" | jq -r .data.access_token)"
AUTH=(-H "Authorization: Bearer $TOKEN" -H "X-Tenant: $BENCH_TENANT")
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
