-- GET <the URL given to wrk> with the bench tenant's owner token: one analytics endpoint.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["X-Tenant"] = os.getenv("BENCH_TENANT")
