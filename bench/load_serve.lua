-- load_serve.lua — wrk script for bench/load_serve.sh: cycles through the search paths in the
-- file named by the QUERIES environment variable (one path a line), each wrk thread from its own
-- starting point, and prints one JSON line of results at the end.
local paths = {}
local counter = 0
local status_errors = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  for line in io.lines(os.getenv("QUERIES")) do paths[#paths + 1] = line end
  i = (id or 1) * 97 % #paths
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

function response(status, headers, body)
  if status ~= 200 then status_errors = status_errors + 1 end
end

function done(summary, latency, requests)
  local e = summary.errors
  local errs = e.connect + e.read + e.write + e.timeout + e.status
  io.write(string.format(
    '{"requests":%d,"seconds":%.2f,"qps":%.1f,"p50_ms":%.2f,"p90_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,"errors":%d,"non200":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errs, e.status))
end
