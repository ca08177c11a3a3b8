#!/usr/bin/env bash
# bench/transcription: real-time factor and peak memory of one transcription job per model size and thread count.
# Usage: bench/transcription/run.sh            (or ./voki bench transcription)
#   SIZES="tiny base small"  synthetic model shapes (random weights, real compute: tests/fixtures/whisper/synthesize_model.py)
#   THREADS="1 2"            Whisper threads per job
#   CLIPS="11 60"            clip lengths in seconds, cut from jfk.wav (looped for longer clips)
#   VOKI_WHISPER_MODEL=...   also measure a real ggml model (and show what it heard)
#   FALLBACK=1               keep whisper.cpp's temperature fallback on (random weights trigger all six decodes)
#   REPEAT=2                 runs per configuration; the table shows the fastest (the machine may be shared)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/.data/bench-transcription"
mkdir -p "$OUT/models" "$OUT/clips"
say() { printf '\033[1m[bench/transcription]\033[0m %s\n' "$*" >&2; }
SIZES="${SIZES:-tiny base small}"
THREADS="${THREADS:-1 2}"
CLIPS="${CLIPS:-11 60}"
REPEAT="${REPEAT:-2}"
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

models=()
for size in $SIZES; do models+=("$OUT/models/synthetic-$size.bin"); done
[ -n "${VOKI_WHISPER_MODEL:-}" ] && models+=("$VOKI_WHISPER_MODEL")
fallback=()
[ "${FALLBACK:-0}" = 1 ] && fallback=(--fallback)

RESULTS="$OUT/results.jsonl"
: > "$RESULTS"
echo "| model | threads | clip (s) | job (s) | real-time factor | peak RSS (MB) | load average |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for model in "${models[@]}"; do
  for threads in $THREADS; do
    for seconds in $CLIPS; do
      runs=()
      for _ in $(seq "$REPEAT"); do
        load=$(cut -d' ' -f1 /proc/loadavg)
        line=$(dotnet "$BIN" --model "$model" --audio "$OUT/clips/jfk-$seconds.wav" --threads "$threads" "${fallback[@]}")
        echo "${line%\}},\"load\":$load}" >> "$RESULTS"
        runs+=("${line%\}},\"load\":$load}")
      done
      python3 - "${runs[@]}" <<'PY'
import json, sys
r = min((json.loads(a) for a in sys.argv[1:]), key=lambda r: r["job_seconds"])
print(f"| {r['model']} | {r['threads']} | {r['audio_seconds']:.0f} | {r['job_seconds']:.1f} | {r['rtf']:.3f} | {r['peak_rss_mb']} | {r['load']:.1f} |")
PY
    done
  done
done
say "raw results: ${RESULTS#$ROOT/} (load average now $(cut -d' ' -f1-3 /proc/loadavg))"
