-- 9 allowed : 1 refused. Each wrk thread cycles through nine GETs on the endpoint the key may read and one
-- on an endpoint it may not (403 scope_denied at the gateway; bare YARP forwards all ten).
local auth = "Bearer " .. os.getenv("BENCH_KEY")
local cycle, i = {}, 0
init = function(args)
  for n = 1, 9 do
    cycle[n] = wrk.format("GET", "/v2/bench-ep/status/job-" .. n, { ["Authorization"] = auth })
  end
  cycle[10] = wrk.format("GET", "/v2/denied-ep/status/job-10", { ["Authorization"] = auth })
end
request = function()
  i = i % 10 + 1
  return cycle[i]
end
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
