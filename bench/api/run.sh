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
# does not run a command. node.sh: the preflight, node and cleanup this script shares with analytics.sh.
source "$BENCH_DIR/../../voki"
source "$BENCH_DIR/node.sh"

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

bench_preflight
bench_stop_on_exit
bench_banner
bench_fresh_database
say "rate limits raised (RateLimits__AuthPerMinute and RateLimits__PublicPerMinute = 100000000) so the per-IP limiter does not distort the load"
bench_start_node node.log "$BENCH_OPERATOR_TOKEN"

say "setting up: tenant '$BENCH_TENANT' (enterprise plan), department, $BENCH_USERS users, access link, call"
bench_enterprise_tenant Benchmark "$BENCH_OPERATOR_TOKEN"
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
  RESULTS+=("$line $(awk -v t="$((t1 - t0))" -v hz="$CLK_TCK" -v n="$(echo "$line" | awk '{print $7}')" -v w="$(awk -v a="$w0" -v b="$w1" 'BEGIN {print b - a}')" \
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
  read -r _ name rps p50 _ p99 total non2xx errors cpu cores <<<"$line"
  printf '%-8s %12s %10s %10s %10s %8s %8s %14s %10s\n' "$name" "$rps" "$p50" "$p99" "$total" "$non2xx" "$errors" "$cpu" "$cores"
done
field_of() { printf '%s\n' "${RESULTS[@]}" | awk -v n="$1" -v f="$2" '$2 == n {print $f}'; }
say "GET /api/v1/calls/:id vs /healthz: $(awk -v a="$(field_of call 3)" -v b="$(field_of healthz 3)" -v c="$(field_of call 10)" -v d="$(field_of healthz 10)" \
  'BEGIN {printf "%.0f%% of the requests/s, %.1fx the node CPU per request", 100 * a / b, c / d}') (the cost of auth + grain)"
say "login: $(awk -v a="$(field_of login 3)" -v c="$(field_of login 10)" -v n="$(nproc)" \
  'BEGIN {printf "%.1f/s on %d cores; %.1f ms of node CPU per login, so at most %.0f logins/s per core", a, n, c, 1000 / c}')$(
  [ -z "$PBKDF2_MS" ] || awk -v m="$PBKDF2_MS" 'BEGIN {printf " (PBKDF2 alone: %.1f ms, %.0f per core)", m, 1000 / m}')"
