-- A GraphQL query (read) of 1,045 bytes holding 40 aliases ("a0: myself { id email } a1: ..."), POST
-- application/json: the shape of a client batching many lookups into one document.
wrk.method = "POST"
wrk.path = "/graphql"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
wrk.headers["Content-Type"] = "application/json"
local fields = {}
for i = 0, 39 do fields[#fields + 1] = string.format("a%d: myself { id email }", i) end
wrk.body = '{"query":"query Aliases { ' .. table.concat(fields, " ") .. ' }","operationName":"Aliases"}'
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
