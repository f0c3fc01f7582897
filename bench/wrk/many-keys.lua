-- GET on an Endpoint route with a key drawn uniformly at random from $BENCH_KEYS_FILE (one a line) for each request:
-- every key of the file is in use, each about every (keys / req/s) seconds, as on a platform with that many active
-- keys. (Cycling in order from a fixed offset per thread reused the same first three quarters of the file in every
-- 5 s run.) Each thread seeds its own generator. With a file of one key this is the warm single-key case, at the same
-- load-generator cost.
local counter = 0
setup = function(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local cycle = {}
init = function(args)
  for key in io.lines(os.getenv("BENCH_KEYS_FILE")) do
    cycle[#cycle + 1] = wrk.format("GET", "/v2/bench-ep/status/job-1", { ["Authorization"] = "Bearer " .. key })
  end
  math.randomseed(os.time() * 1000 + tid * 7919)
end
request = function()
  return cycle[math.random(#cycle)]
end
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
