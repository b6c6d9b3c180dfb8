-- wrk script of the contact-read figures (suite.sh, reads.sh, instructions.sh): GET
-- /v1/contacts/{id} with the key in x-api-key, a new id among 1..SB_PEOPLE per request
-- (stepping by a prime, so reads spread over the whole file). The hello-world baseline
-- runs it too, so that the script's own cost falls on both sides of a ratio.
-- Usage: SB_KEY=... SB_PEOPLE=N wrk ... -s benches/get.lua URL
local people = assert(tonumber(os.getenv("SB_PEOPLE")), "SB_PEOPLE: the number of people")
local n = 0
wrk.headers["x-api-key"] = assert(os.getenv("SB_KEY"), "SB_KEY: an API key")
request = function()
  n = n + 7919
  return wrk.format("GET", "/v1/contacts/" .. ((n % people) + 1))
end
