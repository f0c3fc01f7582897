-- POST with a 1 KiB JSON body on an Endpoint route (needs readwrite).
wrk.method = "POST"
wrk.path = "/v2/bench-ep/run"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
wrk.headers["Content-Type"] = "application/json"
local head, tail = '{"input":{"prompt":"', '"}}'
wrk.body = head .. string.rep("a", 1024 - #head - #tail) .. tail
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
