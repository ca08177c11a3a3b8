-- GET <the URL given to wrk> with the bench tenant's owner token: one analytics endpoint. After the run, one line
--   RESULT <name> <requests/s> <p50 ms> <p95 ms> <p99 ms> <requests> <non-2xx/3xx> <socket errors+timeouts>
-- which analytics.sh collects into its summary. BENCH_NAME names the run.
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["X-Tenant"] = os.getenv("BENCH_TENANT")

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
