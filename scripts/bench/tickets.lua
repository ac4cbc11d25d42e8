-- wrk script: ticket orders of 1..4 units of one tier, unique Idempotency-Keys.
-- args: EVENT_ID TIER_ID KEY_PREFIX; BENCH_TOKEN must hold a signed-in buyer's token.
local threads = {}
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

function init(args)
  event, tier, prefix = args[1], args[2], args[3]
  counter = 0
  statuses = {}
  token = os.getenv("BENCH_TOKEN")
  math.randomseed(os.time() * 1000 + id)
end

function request()
  counter = counter + 1
  local body = string.format('{"items":[{"tier_id":"%s","quantity":%d}]}', tier, math.random(1, 4))
  local headers = {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("%s-%d-%d", prefix, id, counter),
    ["Authorization"] = "Bearer " .. token,
  }
  return wrk.format("POST", "/events/" .. event .. "/orders", headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do totals[status] = (totals[status] or 0) + n end
  end
  local s5 = 0
  for status, n in pairs(totals) do if status >= 500 then s5 = s5 + n end end
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f s201=%d s409=%d s5xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, totals[201] or 0, totals[409] or 0, s5))
end
