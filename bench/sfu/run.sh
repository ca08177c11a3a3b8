#!/usr/bin/env bash
# bench/sfu: our SFU under load from client-mode peers (Voki.Media's own DTLS client, ICE, SRTP).
# Usage: bench/sfu/run.sh [rooms participants seconds]   (defaults: 1×2, 4×3, 10×2 for 20 s)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/.data/bench-sfu"
mkdir -p "$OUT"
say() { printf '\033[1m[bench/sfu]\033[0m %s\n' "$*"; }

if [ ! -f "$OUT/clip.ivf" ]; then
  say "encoding the test clip with FFmpeg: 640x480, 30 fps, VP8 at ~500 kbps, 10 s (testsrc2)"
  ffmpeg -loglevel error -y -f lavfi -i testsrc2=size=640x480:rate=30 -t 10 -c:v libvpx -b:v 500k -g 60 -deadline realtime -cpu-used 8 "$OUT/clip.ivf"
fi
say "building (Release)"
dotnet build "$ROOT/bench/sfu/Voki.Bench.Sfu.csproj" -c Release -nologo -clp:ErrorsOnly -v:q
BIN="$ROOT/bench/sfu/bin/Release/net10.0/Voki.Bench.Sfu.dll"
say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"

HTTP_PORT=7391
dotnet "$BIN" serve --http $HTTP_PORT > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$HTTP_PORT/counters" >/dev/null && break; sleep 0.2; done

JANUS=""
# The same load against Janus (Debian package janus, VideoRoom) for a side-by-side ratio; VOKI_BENCH_JANUS=0 skips it.
if [ "${VOKI_BENCH_JANUS:-1}" = 1 ] && command -v janus >/dev/null; then
  IFACE=$(ip -o -4 route show to default | awk '{print $5; exit}')
  JANUS=$("$ROOT/bench/sfu/janus.sh" "$OUT/janus" "${IFACE:-eth0}")
  trap 'kill $SERVER $JANUS 2>/dev/null || true' EXIT
  for _ in $(seq 50); do curl -sf -XPOST http://127.0.0.1:8088/janus -d '{"janus":"ping","transaction":"x"}' >/dev/null && break; sleep 0.2; done
  say "Janus $(janus --version 2>/dev/null | head -1 | awk '{print $NF}') started (VideoRoom, ICE-lite on ${IFACE:-eth0})"
else
  say "Janus is not installed or VOKI_BENCH_JANUS=0: measuring Voki alone"
fi

run() {
  say "load: $1 room(s) × $2 participants, $3 s measured"
  dotnet "$BIN" load --target "http://127.0.0.1:$HTTP_PORT" --rooms "$1" --participants "$2" --seconds "$3" --clip "$OUT/clip.ivf" --server-pid $SERVER
  if [ -n "$JANUS" ]; then
    dotnet "$BIN" janus --janus http://127.0.0.1:8088/janus --rooms "$1" --participants "$2" --seconds "$3" --clip "$OUT/clip.ivf" --server-pid $JANUS --iface "${IFACE:-eth0}" || say "the Janus run failed"
  fi
}
if [ $# -ge 3 ]; then run "$1" "$2" "$3"; else run 1 2 20; run 4 3 20; run 10 2 20; fi
