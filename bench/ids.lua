-- Cycles through the request paths listed in the file named by WRK_PATHS (one per line), all on
-- the host wrk was given; optional WRK_AUTH adds an Authorization header, WRK_METHOD/WRK_BODY a
-- method and JSON body. With WRK_PARTIES (a file of party ids), each request instead sends
-- `{"engagementModel": "g2g", "partyId": …}` for a (path, party) pair no other request of the
-- run uses: interests, of which a party may hold one per opportunity. With WRK_STAGES (stages
-- separated by commas), each request instead sends `{"to": stage}`: the paths are interests'
-- transition URLs, taken in turn, and each pass over them moves every interest one stage further,
-- so no interest is asked twice for the same move.
local paths = {}
local parties = {}
local i = 0
local n = 0
local method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
local auth = os.getenv("WRK_AUTH")
local stages = {}
local threads = 0

setup = function(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

init = function(args)
  for line in io.lines(os.getenv("WRK_PATHS")) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  local party_file = os.getenv("WRK_PARTIES")
  if party_file then
    for line in io.lines(party_file) do
      if #line > 0 then parties[#parties + 1] = line end
    end
    method = "POST"
  end
  for stage in string.gmatch(os.getenv("WRK_STAGES") or "", "[^,]+") do
    stages[#stages + 1] = stage
  end
  if #stages > 0 then method = "POST" end
  i = math.random(#paths)
  -- Threads take turns through the pairs: thread k uses pairs k, k + T, k + 2T, …
  n = thread_index or 0
end

-- The next (path, pass) pair of this thread: each pass goes once through every path.
local function next_pair()
  local path, pass = paths[n % #paths + 1], math.floor(n / #paths)
  n = n + tonumber(os.getenv("WRK_THREADS") or "2")
  return path, pass
end

request = function()
  local headers = {}
  if auth then headers["Authorization"] = "Bearer " .. auth end
  if #parties > 0 or #stages > 0 then
    local path, pass = next_pair()
    headers["Content-Type"] = "application/json"
    if #parties > 0 then
      local party = parties[pass % #parties + 1]
      return wrk.format(method, path, headers, '{"engagementModel":"g2g","partyId":"' .. party .. '"}')
    end
    return wrk.format(method, path, headers, '{"to":"' .. stages[pass % #stages + 1] .. '"}')
  end
  i = i % #paths + 1
  if body then headers["Content-Type"] = "application/json" end
  return wrk.format(method, paths[i], headers, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.1f %.2f %.2f %d %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors, summary.requests))
end
