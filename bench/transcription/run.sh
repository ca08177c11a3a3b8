#!/usr/bin/env bash
# bench/transcription: real-time factor and peak memory of one transcription job per model size, thread count, input
# and VAD on or off.
# Usage: bench/transcription/run.sh            (or ./voki bench transcription)
#   SIZES="tiny base"        synthetic model shapes (random weights, real compute: tests/fixtures/whisper/synthesize_model.py)
#   THREADS="2"              Whisper threads per job
#   CALLS="300"              two-party calls of these lengths in seconds: espeak-ng sentences taking turns (bench/transcription/CallAudio.cs)
#   PAUSE=1.0                mean pause between turns in those calls, seconds
#   CLIPS=""                 one-speaker clips of these lengths in seconds, cut from jfk.wav (looped), e.g. "11 60"
#   VAD="1 0"                with the VAD (as a node runs) and without it (the whole track to Whisper, as before issue 12)
#   LONG=""                  also one call of this many seconds (e.g. 3600) with the first size and thread count, VAD on:
#   LONG_PAUSE=20            …with this mean pause (a sparser call keeps the run short; memory does not depend on it)
#   VOKI_WHISPER_MODEL=...   also measure a real ggml model (and show what it heard)
#   FALLBACK=1               keep whisper.cpp's temperature fallback on (random weights trigger all six decodes)
#   REPEAT=1                 runs per configuration; the table shows the fastest (the machine may be shared)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/.data/bench-transcription"
mkdir -p "$OUT/models" "$OUT/clips" "$OUT/calls"
say() { printf '\033[1m[bench/transcription]\033[0m %s\n' "$*" >&2; }
SIZES="${SIZES:-tiny base}"
THREADS="${THREADS:-2}"
CALLS="${CALLS:-300}"
PAUSE="${PAUSE:-1.0}"
CLIPS="${CLIPS:-}"
VAD="${VAD:-1 0}"
LONG="${LONG:-}"
LONG_PAUSE="${LONG_PAUSE:-20}"
REPEAT="${REPEAT:-1}"
FIXTURES="$ROOT/tests/fixtures"

for size in $SIZES; do
  if [ ! -f "$OUT/models/synthetic-$size.bin" ]; then
    say "generating the synthetic $size model"
    python3 "$FIXTURES/whisper/synthesize_model.py" "$FIXTURES/whisper/for-tests-ggml-tiny.bin" "$OUT/models/synthetic-$size.bin" --size "$size" >&2
  fi
done
for seconds in $CLIPS; do
  [ -f "$OUT/clips/jfk-$seconds.wav" ] || ffmpeg -nostdin -loglevel error -y -stream_loop -1 -i "$FIXTURES/audio/jfk.wav" -t "$seconds" -ac 1 -ar 16000 "$OUT/clips/jfk-$seconds.wav"
done

say "building (Release)"
dotnet build "$ROOT/bench/transcription/Voki.Bench.Transcription.csproj" -c Release -nologo -clp:ErrorsOnly -v:q >&2
BIN="$ROOT/bench/transcription/bin/Release/net10.0/Voki.Bench.Transcription.dll"
say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"

make_call() { # SECONDS PAUSE → the capture directory
  local dir="$OUT/calls/call-$1-pause-$2"
  if [ ! -f "$dir/timeline.jsonl" ]; then
    say "making a $1 s two-party call (mean pause $2 s) with espeak-ng"
    rm -rf "$dir"
    dotnet "$BIN" --make-call "$dir" --seconds "$1" --pause "$2" >&2
  fi
  echo "$dir"
}

inputs=()
for seconds in $CALLS; do inputs+=("--capture $(make_call "$seconds" "$PAUSE")"); done
for seconds in $CLIPS; do inputs+=("--audio $OUT/clips/jfk-$seconds.wav"); done
models=()
for size in $SIZES; do models+=("$OUT/models/synthetic-$size.bin"); done
[ -n "${VOKI_WHISPER_MODEL:-}" ] && models+=("$VOKI_WHISPER_MODEL")
fallback=()
[ "${FALLBACK:-0}" = 1 ] && fallback=(--fallback)

RESULTS="$OUT/results.jsonl"
: > "$RESULTS"
measure() { # MODEL THREADS INPUT VAD → one table row (the fastest of REPEAT runs)
  local runs=() line load vad=()
  [ "$4" = 1 ] || vad=(--no-vad)
  for _ in $(seq "$REPEAT"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    # shellcheck disable=SC2086
    line=$(dotnet "$BIN" --model "$1" $3 --threads "$2" "${vad[@]}" "${fallback[@]}")
    line="${line%\}},\"load\":$load,\"input\":\"$(basename "${3#* }")\"}"
    echo "$line" >> "$RESULTS"
    runs+=("$line")
  done
  python3 - "${runs[@]}" <<'PY'
import json, sys
r = min((json.loads(a) for a in sys.argv[1:]), key=lambda r: r["job_seconds"])
vad = f"{r['vad_cpu_seconds']:.1f}" if r["vad"] else "–"
print(f"| {r['model']} | {r['threads']} | {r['input']} | {r['call_seconds']:.0f} | {'on' if r['vad'] else 'off'} | {r['windows']} | {r['whisper_share']:.2f} "
      f"| {r['job_seconds']:.1f} | {r['rtf']:.3f} | {r['rtf_call']:.3f} | {vad} | {r['peak_rss_mb']} | {r['load']:.1f} |")
PY
}

echo "| model | threads | input | call (s) | VAD | windows | share to Whisper | job (s) | RTF per track second | RTF per call | VAD CPU (s) | peak RSS (MB) | load average |"
echo "|---|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for model in "${models[@]}"; do
  for threads in $THREADS; do
    for input in "${inputs[@]}"; do
      for vad in $VAD; do measure "$model" "$threads" "$input" "$vad"; done
    done
  done
done
if [ -n "$LONG" ]; then
  set -- $SIZES; set -- "$OUT/models/synthetic-$1.bin" $THREADS
  measure "$1" "$2" "--capture $(make_call "$LONG" "$LONG_PAUSE")" 1
fi
say "raw results: ${RESULTS#$ROOT/} (load average now $(cut -d' ' -f1-3 /proc/loadavg))"
