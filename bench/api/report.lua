-- Shared by the bench/api scripts: after the run, one machine-readable line
--   RESULT <name> <requests/s> <p50 ms> <p95 ms> <p99 ms> <requests> <non-2xx/3xx> <socket errors+timeouts>
-- which run.sh and analytics.sh collect into their summaries. BENCH_NAME names the run.
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT %s %.1f %.2f %.2f %.2f %d %d %d\n",
    os.getenv("BENCH_NAME") or "run",
    summary.requests / seconds,
    latency:percentile(50) / 1000,
    latency:percentile(95) / 1000,
    latency:percentile(99) / 1000,
    summary.requests,
    e.status,
    e.connect + e.read + e.write + e.timeout))
end
