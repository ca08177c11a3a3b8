#!/usr/bin/env bash
# bench/membership (./voki bench membership): false suspicions and kill-to-dead time of Orleans' failure detection on
# a two-node cluster whose nodes are fully loaded, for each failure-detection setting (bench/membership/Candidates.cs):
# compositions (CallComposer: FFmpeg VP8), a Whisper transcription and a flood of logins (PBKDF2) on both nodes at
# once for --load-seconds, then --kills SIGKILLs of one node with the load still on, each timed until the membership
# table (OrleansMembershipTable) says Dead. Runs in a private network namespace with its own PostgreSQL.
# Usage: bench/membership/run.sh [--only defaults,1s-2miss,...] [--load-seconds 180] [--kills 5] [--compositions 2]
#          [--logins 6] [--compositions-normal-priority]
# A run of one or two settings takes 6-12 minutes; on a shared machine run them under the lock one or two at a time.
# Overrides: VOKI_SKIP_BUILD=1, WHISPER_SIZE=base (synthetic model; none: no transcription).
# Results: one row per setting appended to .data/bench-membership/results.md; node logs under .data/bench-membership/.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The voki script's functions (say, pg_start, pg_stop, ensure_database, build) and the benches' prologue; sourcing runs no command.
source "$BENCH_DIR/../../voki"
source "$BENCH_DIR/../namespace.sh"
OUT="$DATA/bench-membership"
PG_PORT=55437
WHISPER_SIZE="${WHISPER_SIZE:-base}"
MODEL="$OUT/synthetic-$WHISPER_SIZE.bin"

if [ "${VOKI_NETNS:-}" != 1 ]; then
  mkdir -p "$OUT"
  bench_machine
  bench_build "$BENCH_DIR/Voki.Bench.Membership.csproj"
  if [ "$WHISPER_SIZE" != none ] && [ ! -f "$MODEL" ]; then
    say "generating the synthetic Whisper $WHISPER_SIZE model (random weights, real compute)"
    python3 "$ROOT/tests/fixtures/whisper/synthesize_model.py" "$ROOT/tests/fixtures/whisper/for-tests-ggml-tiny.bin" "$MODEL" --size "$WHISPER_SIZE"
  fi
  bench_enter_namespace "$BENCH_DIR/run.sh" "$@"
fi

bench_fresh_database "$OUT/pg" "$PG_PORT"
whisper=()
[ "$WHISPER_SIZE" = none ] || whisper=(--whisper-model "$MODEL")
bench_log_run "$OUT" bench/membership/run.sh "$@"
dotnet "$BENCH_DIR/bin/Release/net10.0/Voki.Bench.Membership.dll" --root "$ROOT" \
  --pg "Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=voki" --work "$OUT" --out "$OUT/results.md" "${whisper[@]}" "$@"
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg); results in ${OUT#$ROOT/}/results.md"
