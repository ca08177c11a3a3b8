#!/usr/bin/env bash
# bench/impairment (./voki bench impairment): two Chromium peers through a Voki node, then the same two connected
# directly, under each network condition in turn (bench/impairment/Condition.cs): receivers' getStats and the
# recording's pictures per tile, Voki as a ratio to the direct connection. Everything runs in a private network
# namespace (unshare -n) with its own loopback, PostgreSQL and node, so the loss and ceilings touch nothing else.
# Usage: bench/impairment/run.sh [--seconds 20] [--only 1,2,...]   (conditions numbered as listed)
# Overrides: VOKI_SKIP_BUILD=1, VOKI_BENCH_PG_PORT (default 55436). Results: .data/bench-impairment/results.md
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The voki script's functions (say, pg_start, pg_stop, ensure_database, build) and the benches' prologue; sourcing runs no command.
source "$BENCH_DIR/../../voki"
source "$BENCH_DIR/../namespace.sh"
OUT="$DATA/bench-impairment"
CAMERA="$OUT/camera.y4m"
PG_PORT="${VOKI_BENCH_PG_PORT:-55436}" HTTP_PORT=5190 SILO_PORT=11190 GATEWAY_PORT=30090 MEDIA_PORT=40190
BASE="http://127.0.0.1:$HTTP_PORT"

if [ "${VOKI_NETNS:-}" != 1 ]; then
  mkdir -p "$OUT"
  bench_machine "Chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}')"
  bench_build "$BENCH_DIR/Voki.Bench.Impairment.csproj"
  if [ ! -f "$CAMERA" ]; then
    say "the camera: FFmpeg testsrc2, 640x480 at 30 fps, 5 s looped by Chromium"
    ffmpeg -v error -nostdin -f lavfi -i testsrc2=size=640x480:rate=30:duration=5 -pix_fmt yuv420p -f yuv4mpegpipe -y "$CAMERA"
  fi
  bench_enter_namespace "$BENCH_DIR/run.sh" "$@"
fi

NODE_PID=""
bench_on_exit() {
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then kill -TERM "$NODE_PID" 2>/dev/null || true; wait "$NODE_PID" 2>/dev/null || true; fi
}
bench_fresh_database "$OUT/pg" "$PG_PORT"
rm -rf "$OUT/recordings"
# The tenant needs a paid plan (recording), which only the operator gives: the bench's client takes the same token.
export VOKI_OPERATOR_TOKEN="bench-operator-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
say "starting the node (Release): HTTP $BASE, media UDP port $MEDIA_PORT, log in ${OUT#$ROOT/}/node.log"
(
  export ConnectionStrings__Voki="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=voki;Maximum Pool Size=100"
  export ASPNETCORE_URLS="$BASE" ASPNETCORE_ENVIRONMENT=Production
  export Node__SiloPort="$SILO_PORT" Node__GatewayPort="$GATEWAY_PORT" Media__Port="$MEDIA_PORT"
  export Recordings__Root="$OUT/recordings" Recordings__NodeUrl="$BASE"
  export Auth__SigningKey="bench-signing-key-$(head -c 24 /dev/urandom | base64)"
  export RateLimits__AuthPerMinute=100000000 RateLimits__PublicPerMinute=100000000 RateLimits__SignupsPerHour=100000000
  export Operator__Token="$VOKI_OPERATOR_TOKEN"
  exec dotnet "$ROOT/src/Voki.Api/bin/Release/net10.0/Voki.Api.dll" --contentRoot "$ROOT/src/Voki.Api"
) > "$OUT/node.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 1 120); do
  curl -sf "$BASE/readyz" >/dev/null && break
  kill -0 "$NODE_PID" 2>/dev/null || { tail -20 "$OUT/node.log" >&2; echo "the node exited" >&2; exit 1; }
  sleep 0.5
done
curl -sf "$BASE/readyz" >/dev/null || { echo "the node did not become ready" >&2; exit 1; }
dotnet "$BENCH_DIR/bin/Release/net10.0/Voki.Bench.Impairment.dll" --base "$BASE" --media-port "$MEDIA_PORT" \
  --recordings "$OUT/recordings" --camera "$CAMERA" --out "$OUT/results.md" "$@"
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg); results in ${OUT#$ROOT/}/results.md"
