-- wrk script: GET one of the paths given after `--` (round robin), with
-- BENCH_TOKEN as a bearer token when set. Prints one RESULT line.
local threads = {}
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  paths = args
  n = id
  headers = {}
  local token = os.getenv("BENCH_TOKEN")
  if token then headers["Authorization"] = "Bearer " .. token end
end

function request()
  n = n + 1
  return wrk.format("GET", paths[n % #paths + 1], headers)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local ok, s5 = 0, 0
  for _, t in ipairs(threads) do
    for status, count in pairs(t:get("statuses")) do
      if status == 200 then ok = ok + count elseif status >= 500 then s5 = s5 + count end
    end
  end
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f s200=%d s5xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, ok, s5))
end
