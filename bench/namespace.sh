#!/usr/bin/env bash
# What bench/calls, bench/membership and bench/impairment share: the machine line, the Release build, the re-run in a
# private network namespace, and a fresh PostgreSQL there that is stopped on exit. Sourced after the voki script (say,
# build, pg_start, pg_stop, ensure_database); sourcing it runs no command.

# The machine a run's figures belong to; "$1" adds what else matters to the bench (a browser's version).
bench_machine() {
  say "machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, Linux $(uname -r); ${1:-$(ffmpeg -version | head -1 | cut -d' ' -f1-3)}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Voki and the bench's own project in Release, unless VOKI_SKIP_BUILD=1.
bench_build() {
  [ "${VOKI_SKIP_BUILD:-0}" = 1 ] && return 0
  build Release
  dotnet build "$1" -c Release -nologo -clp:ErrorsOnly -v:q
}

# Runs the calling script again inside a private network namespace (unshare -n): its ports, loss and ceilings touch
# nothing else on the machine. Does not return.
bench_enter_namespace() {
  say "entering a private network namespace (unshare -n)"
  exec unshare -n env VOKI_NETNS=1 "$@"
}

# Inside the namespace: loopback up, PostgreSQL in "$1" on port "$2" with an empty database voki, stopped on exit
# (after bench_on_exit, when the script defines one).
bench_fresh_database() {
  BENCH_PG_DIR="$1"
  ip link set lo up
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  pg_start "$BENCH_PG_DIR" "$2" "-c fsync=off" || true
  PGOPTIONS='-c client_min_messages=warning' psql -h 127.0.0.1 -p "$2" -U postgres -qc 'DROP DATABASE IF EXISTS voki WITH (FORCE)' >/dev/null
  ensure_database "$2" voki
}

bench_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if declare -F bench_on_exit >/dev/null; then bench_on_exit; fi
  pg_stop "$BENCH_PG_DIR"
  exit $rc
}

# One line per run in "$1"/runs.md: when, the machine's load, the command.
bench_log_run() {
  local out="$1"; shift
  echo "- $(date -u '+%Y-%m-%d %H:%M') UTC: $(nproc) CPUs, load average before $(cut -d' ' -f1-3 /proc/loadavg); $*" >> "$out/runs.md"
}
