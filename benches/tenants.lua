-- wrk script of benches/tenants.sh: each request uses the next key of the file SB_KEYS (one
-- per line, one per account), so every account is asked in turn. GET /v1/contacts/{id}
-- reads one of the account's SB_PEOPLE people (ids are per server, so the id is found from
-- the account's place); with SB_POST set, POST /v1/contacts creates a person with a body
-- unique to the thread and the request, shaped as benches/post.lua's.
-- Usage: SB_KEYS=file SB_PEOPLE=N [SB_POST=1] wrk ... -s benches/tenants.lua URL
local keys = {}
local path = assert(os.getenv("SB_KEYS"), "SB_KEYS: a file of keys")
for line in io.lines(path) do
  keys[#keys + 1] = line
end
local people = tonumber(os.getenv("SB_PEOPLE") or "1")
local post = os.getenv("SB_POST") ~= nil
local n = 0
local thread_id = 0
setup = function(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
request = function()
  n = n + 1
  local account = n % #keys
  local headers = { ["x-api-key"] = keys[account + 1], ["Content-Type"] = "application/json" }
  if post then
    local id = tid .. "-" .. os.time() .. "-" .. n
    return wrk.format("POST", "/v1/contacts", headers,
      '{"externalId":"bench-' .. id .. '","name":"Bench ' .. id .. '","tags":["bench"],"attributes":{"source":"wrk"}}')
  end
  -- The accounts were filled one after the other: account a's people have ids
  -- a * people + 1 .. (a + 1) * people.
  local id = account * people + (math.floor(n / #keys) % people) + 1
  return wrk.format("GET", "/v1/contacts/" .. id, headers)
end
