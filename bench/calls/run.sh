#!/usr/bin/env bash
# bench/calls (./voki bench calls): N concurrent recorded 2-party calls through the product (REST flow, Phoenix-socket
# signalling, client-mode peers publishing VP8 and Opus) on one node or a cluster, then all N completed at once:
# node CPU per call-minute while live, join time, every call's received frame rate, recording ready time after the
# burst, the transcription backlog's drain time, peak RSS per node. The load generator runs on the same machine as
# the nodes; its own CPU is measured apart. Runs in a private network namespace with its own PostgreSQL.
# Usage: bench/calls/run.sh [--calls 10] [--minutes 1] [--nodes 1] [--jobs-nodes 0] [--find-max 10,20,30]
#          [--transcribe] [--recording-wait 10] [--video 640x480] [--kbps 500]
#   --transcribe: an enterprise tenant with transcription on, the nodes on a synthetic Whisper base model (random
#   weights, real compute; WHISPER_MODEL=path for a real ggml model). The defaults finish in about 6 minutes.
# Overrides: VOKI_SKIP_BUILD=1, VOKI_BENCH_PG_PORT (default 55441). Results: .data/bench-calls/results.md (this run's
# table), one line per run in .data/bench-calls/runs.md; node logs under .data/bench-calls/<stamp>-.../
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The voki script's functions (say, pg_start, pg_stop, ensure_database, build) and the benches' prologue; sourcing runs no command.
source "$BENCH_DIR/../../voki"
source "$BENCH_DIR/../namespace.sh"
OUT="$DATA/bench-calls"
PG_PORT="${VOKI_BENCH_PG_PORT:-55441}"
MODEL="${WHISPER_MODEL:-$OUT/synthetic-base.bin}"
args=() transcribe=0
for a in "$@"; do
  if [ "$a" = --transcribe ]; then transcribe=1; else args+=("$a"); fi
done

if [ "${VOKI_NETNS:-}" != 1 ]; then
  mkdir -p "$OUT"
  bench_machine
  bench_build "$BENCH_DIR/Voki.Bench.Calls.csproj"
  if [ $transcribe = 1 ] && [ ! -f "$MODEL" ]; then
    say "generating the synthetic Whisper base model (random weights, real compute)"
    python3 "$ROOT/tests/fixtures/whisper/synthesize_model.py" "$ROOT/tests/fixtures/whisper/for-tests-ggml-tiny.bin" "$MODEL" --size base
  fi
  bench_enter_namespace "$BENCH_DIR/run.sh" "$@"
fi

bench_fresh_database "$OUT/pg" "$PG_PORT"
whisper=()
[ $transcribe = 0 ] || whisper=(--whisper-model "$MODEL")
bench_log_run "$OUT" bench/calls/run.sh "$@"
dotnet "$BENCH_DIR/bin/Release/net10.0/Voki.Bench.Calls.dll" --root "$ROOT" \
  --pg "Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=voki" --work "$OUT" --out "$OUT/results.md" "${whisper[@]}" "${args[@]}"
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg); results in ${OUT#$ROOT/}/results.md"
