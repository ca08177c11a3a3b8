# The part bench/api/run.sh and bench/api/analytics.sh share, sourced after the voki script (say, pg_start,
# pg_stop, ensure_database, build, port_busy, apt_install). It only defines functions; each script calls them in
# order. They read the script's PG_PORT, HTTP_PORT, SILO_PORT, GATEWAY_PORT, BENCH_DATA, PG_DIR and BASE, and
# set NODE_PID, which cleanup stops.

# bench_preflight: wrk and jq installed, the node's ports free, the data folder there.
bench_preflight() {
  command -v wrk >/dev/null || apt_install wrk
  command -v jq >/dev/null || apt_install jq
  local p
  for p in "$HTTP_PORT" "$SILO_PORT" "$GATEWAY_PORT"; do
    if port_busy "$p"; then echo "port $p is already in use on 127.0.0.1 (another benchmark?)" >&2; exit 1; fi
  done
  mkdir -p "$BENCH_DATA"
}

# bench_stop_on_exit: whatever way the script ends, the node it started and its PostgreSQL are stopped.
bench_stop_on_exit() {
  NODE_PID=""
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}
bench_cleanup() {
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

# bench_banner: the machine and tools the figures come from, and how loaded the machine is.
bench_banner() {
  say "machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, Linux $(uname -r)"
  say "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine skews the figures)"
  say "tools: .NET SDK $(dotnet --version), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"
}

# bench_fresh_database [NOTE]: PostgreSQL started with its default settings, database voki dropped and created
# again, then the Release build (unless VOKI_SKIP_BUILD=1). NOTE follows the announcement.
bench_fresh_database() {
  pg_start "$PG_DIR" "$PG_PORT" "" || true
  say "fresh database voki on 127.0.0.1:$PG_PORT${1:+ $1}"
  PGOPTIONS='-c client_min_messages=warning' psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc 'DROP DATABASE IF EXISTS voki WITH (FORCE)' >/dev/null
  ensure_database "$PG_PORT" voki
  [ "${VOKI_SKIP_BUILD:-0}" = 1 ] || build Release
}

# bench_start_node LOG OPERATOR_TOKEN [NAME=VALUE...]: starts the Release node in the Production environment with
# the per-IP rate limits raised (so the limiter does not distort the load) and the script's own settings
# NAME=VALUE, logging to $BENCH_DATA/LOG; returns once it answers /readyz, exits if it does not.
bench_start_node() {
  local log="$BENCH_DATA/$1" operator_token="$2"
  shift 2
  say "starting the node: Production environment, HTTP $BASE, log in ${log#$ROOT/}"
  (
    export ConnectionStrings__Voki="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=voki;Maximum Pool Size=100"
    export ASPNETCORE_URLS="$BASE" ASPNETCORE_ENVIRONMENT=Production
    export Node__SiloPort="$SILO_PORT" Node__GatewayPort="$GATEWAY_PORT"
    export Auth__SigningKey="bench-signing-key-$(head -c 24 /dev/urandom | base64)"
    export RateLimits__AuthPerMinute=100000000 RateLimits__PublicPerMinute=100000000
    export Operator__Token="$operator_token" Recordings__Root="$BENCH_DATA/recordings"
    [ $# -eq 0 ] || export "$@"
    exec dotnet "$ROOT/src/Voki.Api/bin/Release/net10.0/Voki.Api.dll" --contentRoot "$ROOT/src/Voki.Api"
  ) > "$log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 1 120); do
    curl -sf "$BASE/readyz" >/dev/null && break
    kill -0 "$NODE_PID" 2>/dev/null || { tail -20 "$log" >&2; echo "the node exited" >&2; exit 1; }
    sleep 0.5
  done
  curl -sf "$BASE/readyz" >/dev/null || { echo "the node did not become ready" >&2; exit 1; }
}

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

# bench_enterprise_tenant COMPANY OPERATOR_TOKEN: signs up tenant $BENCH_TENANT (owner owner@bench.example,
# password $BENCH_PASSWORD) through the API, has the operator put it on the enterprise plan, and logs the owner in:
# sets TOKEN and AUTH (the owner's headers for the tenant's API).
bench_enterprise_tenant() {
  api POST /api/signup/register "{\"company\":{\"name\":\"$1\",\"slug\":\"$BENCH_TENANT\"},
    \"user\":{\"name\":\"Owner\",\"email\":\"owner@bench.example\",\"password\":\"$BENCH_PASSWORD\"}}" >/dev/null
  api PUT "/api/operator/tenants/$BENCH_TENANT/plan" '{"plan":"enterprise"}' -H "Authorization: Bearer $2" >/dev/null
  TOKEN="$(api POST /api/auth/login "{\"email\":\"owner@bench.example\",\"password\":\"$BENCH_PASSWORD\",\"tenant\":\"$BENCH_TENANT\"}" | jq -r .data.access_token)"
  AUTH=(-H "Authorization: Bearer $TOKEN" -H "X-Tenant: $BENCH_TENANT")
}
