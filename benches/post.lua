-- wrk script of the create figures (suite.sh, replication.sh): POST /v1/contacts with the
-- key in x-api-key and a body unique to the thread, the second and the request (so that
-- two runs on one database never repeat an externalId).
-- Usage: SB_KEY=... wrk ... -s benches/post.lua URL
local n = 0
local thread_id = 0
setup = function(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
wrk.method = "POST"
wrk.headers["x-api-key"] = assert(os.getenv("SB_KEY"), "SB_KEY: an API key")
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local id = tid .. "-" .. os.time() .. "-" .. n
  return wrk.format(nil, "/v1/contacts", nil,
    '{"externalId":"bench-' .. id .. '","name":"Bench ' .. id .. '","tags":["bench"],"attributes":{"source":"wrk"}}')
end
