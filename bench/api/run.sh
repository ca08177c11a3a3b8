#!/usr/bin/env bash
# The API benchmark (./voki bench api). Starts its own PostgreSQL (.data/bench/pg, port 55434) and one
# Release node (HTTP 127.0.0.1:5180), creates a tenant, a department, 16 users, an access link and a call
# through the documented API, then measures with wrk:
#   healthz   GET /healthz                      baseline: no auth, no grain
#   call      GET /api/v1/calls/:id             JWT + X-Tenant + one grain call
#   login     POST /api/auth/login              PBKDF2-SHA256 (210,000 iterations) + one INSERT
# each after a warm-up. Everything it started is stopped on exit.
# Overrides: BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_DURATION (20s), BENCH_WARMUP (5s),
#            VOKI_BENCH_PG_PORT (55434), VOKI_BENCH_HTTP_PORT (5180), VOKI_SKIP_BUILD=1.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export BENCH_DIR
# The voki script's functions (say, pg_start, pg_stop, ensure_database, build, port_busy); sourcing it
# does not run a command.
source "$BENCH_DIR/../../voki"

CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
DURATION="${BENCH_DURATION:-20s}"
WARMUP="${BENCH_WARMUP:-5s}"
PG_PORT="${VOKI_BENCH_PG_PORT:-55434}"
HTTP_PORT="${VOKI_BENCH_HTTP_PORT:-5180}"
SILO_PORT=11180 GATEWAY_PORT=30080
BENCH_DATA="$DATA/bench"
PG_DIR="$BENCH_DATA/pg"
BASE="http://127.0.0.1:$HTTP_PORT"
export BENCH_TENANT=bench BENCH_PASSWORD=bench-password-1 BENCH_USERS=16
BENCH_OPERATOR_TOKEN="bench-operator-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"

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
say "fresh database voki on 127.0.0.1:$PG_PORT"
PGOPTIONS='-c client_min_messages=warning' psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc 'DROP DATABASE IF EXISTS voki WITH (FORCE)' >/dev/null
ensure_database "$PG_PORT" voki
[ "${VOKI_SKIP_BUILD:-0}" = 1 ] || build Release

say "starting the node: Production environment, HTTP $BASE, log in ${BENCH_DATA#$ROOT/}/node.log"
say "rate limits raised (RateLimits__AuthPerMinute and RateLimits__PublicPerMinute = 100000000) so the per-IP limiter does not distort the load"
(
  export ConnectionStrings__Voki="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=voki;Maximum Pool Size=100"
  export ASPNETCORE_URLS="$BASE" ASPNETCORE_ENVIRONMENT=Production
  export Node__SiloPort="$SILO_PORT" Node__GatewayPort="$GATEWAY_PORT"
  export Auth__SigningKey="bench-signing-key-$(head -c 24 /dev/urandom | base64)"
  export RateLimits__AuthPerMinute=100000000 RateLimits__PublicPerMinute=100000000
  export Operator__Token="$BENCH_OPERATOR_TOKEN" Recordings__Root="$BENCH_DATA/recordings"
  exec dotnet "$ROOT/src/Voki.Api/bin/Release/net10.0/Voki.Api.dll" --contentRoot "$ROOT/src/Voki.Api"
) > "$BENCH_DATA/node.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 1 120); do
  curl -sf "$BASE/readyz" >/dev/null && break
  kill -0 "$NODE_PID" 2>/dev/null || { tail -20 "$BENCH_DATA/node.log" >&2; echo "the node exited" >&2; exit 1; }
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

say "setting up: tenant '$BENCH_TENANT' (enterprise plan), department, $BENCH_USERS users, access link, call"
api POST /api/signup/register "{\"company\":{\"name\":\"Benchmark\",\"slug\":\"$BENCH_TENANT\"},
  \"user\":{\"name\":\"Owner\",\"email\":\"owner@bench.example\",\"password\":\"$BENCH_PASSWORD\"}}" >/dev/null
api PUT "/api/operator/tenants/$BENCH_TENANT/plan" '{"plan":"enterprise"}' -H "Authorization: Bearer $BENCH_OPERATOR_TOKEN" >/dev/null
TOKEN="$(api POST /api/auth/login "{\"email\":\"owner@bench.example\",\"password\":\"$BENCH_PASSWORD\",\"tenant\":\"$BENCH_TENANT\"}" | jq -r .data.access_token)"
AUTH=(-H "Authorization: Bearer $TOKEN" -H "X-Tenant: $BENCH_TENANT")
DEPARTMENT="$(api POST /api/v1/departments '{"department":{"name":"Benchmark"}}' "${AUTH[@]}" | jq -r .data.id)"
for i in $(seq 1 "$BENCH_USERS"); do
  api POST /api/v1/users "{\"user\":{\"name\":\"User $i\",\"email\":\"bench-user-$i@bench.example\",\"password\":\"$BENCH_PASSWORD\",\"role\":\"attendant\"}}" "${AUTH[@]}" >/dev/null
done
LINK_TOKEN="$(api POST /api/v1/access-links "{\"access_link\":{\"department_id\":\"$DEPARTMENT\"}}" "${AUTH[@]}" | jq -r .data.token)"
CALL="$(api POST "/api/v1/call/$LINK_TOKEN/join" '{"name":"Benchmark Customer"}' | jq -r .data.call_id)"
api GET "/api/v1/calls/$CALL" "" "${AUTH[@]}" | jq -e '.data.status == "queued"' >/dev/null
export BENCH_TOKEN="$TOKEN"
say "call $CALL is queued; GET /api/v1/calls/$CALL answers 200 with the owner's token"

# CPU time (user + system, in clock ticks) the node has used so far: on a shared machine the node's CPU
# per request is a steadier figure than requests/s, which depend on what else runs.
node_cpu_ticks() { awk '{print $14 + $15}' "/proc/$NODE_PID/stat"; }
CLK_TCK="$(getconf CLK_TCK)"

RESULTS=()
measure() { # measure NAME SCRIPT PATH
  local name="$1" script="$2" path="$3" line t0 t1 w0 w1
  local opts=(-t"$THREADS" -c"$CONNECTIONS" --timeout 30s -s "$BENCH_DIR/$script")
  say "$name: warm-up $WARMUP, then wrk ${opts[*]} -d$DURATION --latency $BASE$path"
  BENCH_NAME="$name" wrk "${opts[@]}" -d"$WARMUP" "$BASE$path" >/dev/null
  t0="$(node_cpu_ticks)" w0="$(date +%s.%N)"
  BENCH_NAME="$name" wrk "${opts[@]}" -d"$DURATION" --latency "$BASE$path" | tee "$BENCH_DATA/$name.txt" | grep -v '^RESULT'
  t1="$(node_cpu_ticks)" w1="$(date +%s.%N)"
  line="$(grep '^RESULT' "$BENCH_DATA/$name.txt")"
  # append: node CPU ms per request, CPU cores the node used on average
  RESULTS+=("$line $(awk -v t="$((t1 - t0))" -v hz="$CLK_TCK" -v n="$(echo "$line" | awk '{print $6}')" -v w="$(awk -v a="$w0" -v b="$w1" 'BEGIN {print b - a}')" \
    'BEGIN {printf "%.3f %.2f", t / hz * 1000 / (n > 0 ? n : 1), t / hz / w}')")
}

# pbkdf2_cpu_ms ITERATIONS: CPU milliseconds of one PBKDF2-HMAC-SHA256 (OpenSSL, the library .NET calls on
# Linux), from 10 runs of openssl kdf less 10 runs with one iteration (the process start-up).
pbkdf2_cpu_ms() {
  local TIMEFORMAT=%3U full empty
  kdf() { for _ in 1 2 3 4 5 6 7 8 9 10; do
    openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt pass:"$BENCH_PASSWORD" -kdfopt hexsalt:00112233445566778899aabbccddeeff \
      -kdfopt iter:"$1" PBKDF2 >/dev/null; done; }
  full="$( { time kdf "$1"; } 2>&1 )" && empty="$( { time kdf 1; } 2>&1 )" || return 1
  awk -v a="$full" -v b="$empty" 'BEGIN {printf "%.1f", (a - b) * 100}'
}
PBKDF2_MS="$(pbkdf2_cpu_ms 210000 || true)"
[ -z "$PBKDF2_MS" ] || say "reference: one PBKDF2-SHA256 of 210,000 iterations costs $PBKDF2_MS ms of CPU (openssl kdf)"

measure healthz healthz.lua /healthz
measure call get_call.lua "/api/v1/calls/$CALL"
measure login login.lua /api/auth/login

say "summary ($THREADS threads, $CONNECTIONS connections, $DURATION after a $WARMUP warm-up; load average now $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '%-8s %12s %10s %10s %10s %8s %8s %14s %10s\n' target 'requests/s' 'p50 ms' 'p99 ms' requests non-2xx errors 'node CPU ms/req' 'node cores'
for line in "${RESULTS[@]}"; do
  read -r _ name rps p50 p99 total non2xx errors cpu cores <<<"$line"
  printf '%-8s %12s %10s %10s %10s %8s %8s %14s %10s\n' "$name" "$rps" "$p50" "$p99" "$total" "$non2xx" "$errors" "$cpu" "$cores"
done
field_of() { printf '%s\n' "${RESULTS[@]}" | awk -v n="$1" -v f="$2" '$2 == n {print $f}'; }
say "GET /api/v1/calls/:id vs /healthz: $(awk -v a="$(field_of call 3)" -v b="$(field_of healthz 3)" -v c="$(field_of call 9)" -v d="$(field_of healthz 9)" \
  'BEGIN {printf "%.0f%% of the requests/s, %.1fx the node CPU per request", 100 * a / b, c / d}') (the cost of auth + grain)"
say "login: $(awk -v a="$(field_of login 3)" -v c="$(field_of login 9)" -v n="$(nproc)" \
  'BEGIN {printf "%.1f/s on %d cores; %.1f ms of node CPU per login, so at most %.0f logins/s per core", a, n, c, 1000 / c}')$(
  [ -z "$PBKDF2_MS" ] || awk -v m="$PBKDF2_MS" 'BEGIN {printf " (PBKDF2 alone: %.1f ms, %.0f per core)", m, 1000 / m}')"
