-- GET /api/v1/calls/:id (the URL given to wrk) with a valid access token and X-Tenant: JWT validation,
-- the authorization policy and one call to the CallGrain (already active, state in memory).
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["X-Tenant"] = os.getenv("BENCH_TENANT")
