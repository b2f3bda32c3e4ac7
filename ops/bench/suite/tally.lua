-- wrk script for the benchmark suite: tallies responses by status (only
-- 2xx count as served) and prints one JSON line (prefixed "SUITE ") with
-- the counts, socket errors and latency percentiles (microseconds).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  bad = 0
  codes = ""
  seen = {}
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    bad = bad + 1
    seen[status] = (seen[status] or 0) + 1
    local parts = {}
    for code, n in pairs(seen) do table.insert(parts, code .. ":" .. n) end
    codes = table.concat(parts, ",")
  end
end

function done(summary, latency, requests)
  local o, b, codes_all = 0, 0, {}
  for _, t in ipairs(threads) do
    o = o + t:get("ok")
    b = b + t:get("bad")
    local c = t:get("codes")
    if c ~= "" then table.insert(codes_all, c) end
  end
  local e = summary.errors
  io.write(string.format(
    'SUITE {"ok":%d,"non2xx":%d,"codes":"%s","requests":%d,"duration_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"timeout":%d,"status_errors":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d}\n',
    o, b, table.concat(codes_all, ";"), summary.requests, summary.duration,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
