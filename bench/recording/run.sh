#!/usr/bin/env bash
# bench/recording: composition speed and CPU of CallComposer (FFmpeg) for generated 2- and 4-party calls.
# Usage: bench/recording/run.sh [seconds]   (default 60; the captures are generated once into .data/bench-recording)
#   BENCH_VARIANTS="previous;default;cpu-used=16" composes each capture with every variant side by side, run after run
#   ("previous": the default before issue 12 item 4, 1280x720 at cpu-used 8 and 1 Mbit/s; a variant sets cpu-used, kbps, size, threads, fit=0|1);
#   BENCH_SSIM=1 also measures each tile's SSIM against the frames its participant sent.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
say() { printf '\033[1m[bench/recording]\033[0m %s\n' "$*"; }
SECONDS_OF_CALL="${1:-60}"
say "building (Release)"
dotnet build "$ROOT/bench/recording/Voki.Bench.Recording.csproj" -c Release -nologo -clp:ErrorsOnly -v:q
say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB; $(ffmpeg -version | head -1 | cut -d' ' -f1-3); load average $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$ROOT"
dotnet "$ROOT/bench/recording/bin/Release/net10.0/Voki.Bench.Recording.dll" --seconds "$SECONDS_OF_CALL" --parties 2,4 --runs "${BENCH_RUNS:-2}" --dir "$ROOT/.data/bench-recording" \
  --variants "${BENCH_VARIANTS:-default}" --ssim "${BENCH_SSIM:-0}"
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
