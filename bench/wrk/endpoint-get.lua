-- GET on an Endpoint route with the key in the Authorization header.
wrk.method = "GET"
wrk.path = "/v2/bench-ep/status/job-1"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
