-- Cycles through the request paths listed in the file named by WRK_PATHS (one per line), all on
-- the host wrk was given; optional WRK_AUTH adds an Authorization header, WRK_METHOD/WRK_BODY a
-- method and JSON body.
local paths = {}
local i = 0
local method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
local auth = os.getenv("WRK_AUTH")

init = function(args)
  for line in io.lines(os.getenv("WRK_PATHS")) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  i = math.random(#paths)
end

request = function()
  i = i % #paths + 1
  local headers = {}
  if auth then headers["Authorization"] = "Bearer " .. auth end
  if body then headers["Content-Type"] = "application/json" end
  return wrk.format(method, paths[i], headers, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.1f %.2f %.2f %d %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors, summary.requests))
end
