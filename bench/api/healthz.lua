-- GET /healthz: no authentication, no grain, no database; the baseline of the HTTP stack.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
