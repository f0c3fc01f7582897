-- A GraphQL query (read) as POST application/json, about 1 KiB: the gateway parses and classifies it.
wrk.method = "POST"
wrk.path = "/graphql"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
wrk.headers["Content-Type"] = "application/json"
local fields = {}
for i = 1, 80 do fields[#fields + 1] = string.format("field%03d", i) end
local query = "query Bench($id: String!) { myself { id email pods(input: {podId: $id}) { id name desiredStatus "
  .. table.concat(fields, " ") .. " runtime { uptimeInSeconds gpus { id gpuUtilPercent } } } } }"
wrk.body = '{"query":"' .. query .. '","operationName":"Bench","variables":{"id":"pod-123"}}'
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
