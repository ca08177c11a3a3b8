-- POST /api/auth/login, rotating over BENCH_USERS users (bench-user-1..N@bench.example, one password):
-- each login verifies a PBKDF2 hash in that user's grain and stores a refresh token in PostgreSQL.
-- Several users, because one user's logins take turns in its grain.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
local users = tonumber(os.getenv("BENCH_USERS") or "1")
local tenant = os.getenv("BENCH_TENANT")
local password = os.getenv("BENCH_PASSWORD")
local headers = { ["Content-Type"] = "application/json" }
local counter = 0

function request()
  counter = counter % users + 1
  local body = string.format('{"email":"bench-user-%d@bench.example","password":"%s","tenant":"%s"}', counter, password, tenant)
  return wrk.format("POST", nil, headers, body)
end
