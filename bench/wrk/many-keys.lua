-- GET on an Endpoint route, cycling through the keys in $BENCH_KEYS_FILE (one a line); each wrk thread starts at
-- its own offset. With a file of one key this is the warm single-key case, at the same load-generator cost.
local counter = 0
setup = function(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local cycle, i = {}, 0
init = function(args)
  for key in io.lines(os.getenv("BENCH_KEYS_FILE")) do
    cycle[#cycle + 1] = wrk.format("GET", "/v2/bench-ep/status/job-1", { ["Authorization"] = "Bearer " .. key })
  end
  i = math.floor(#cycle * tid / tonumber(os.getenv("BENCH_THREADS")))
end
request = function()
  i = i % #cycle + 1
  return cycle[i]
end
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
