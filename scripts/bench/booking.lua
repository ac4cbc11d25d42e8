-- wrk script: bookings with unique Idempotency-Keys on random slots.
-- args: SLUG_PREFIX PROS DAYS KEY_PREFIX DAY1 [DAY2 ...]   (days as YYYY-MM-DD);
-- professionals are SLUG_PREFIX-1 .. SLUG_PREFIX-PROS. With BENCH_TOKEN set, requests
-- are signed in (paid bookings need a signed-in client).
local threads = {}
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

function init(args)
  slug = args[1]
  pros = tonumber(args[2])
  prefix = args[4]
  days = {}
  for i = 5, #args do days[#days + 1] = args[i] end
  counter = 0
  statuses = {}
  token = os.getenv("BENCH_TOKEN")
  math.randomseed(os.time() * 1000 + id)
end

function request()
  counter = counter + 1
  local p = math.random(1, pros)
  local day = days[math.random(1, #days)]
  local slot = math.random(0, 37)            -- 08:00 .. 17:15, 30 minutes long
  local body = string.format(
    '{"professional_id":"%s-%d","start_time":"%sT%02d:%02d:00Z","duration_minutes":30}',
    slug, p, day, 8 + math.floor(slot / 4), (slot % 4) * 15)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("%s-%d-%d", prefix, id, counter),
  }
  if token then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("POST", "/bookings", headers, body)
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
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f s200=%d s201=%d s409=%d s5xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, totals[200] or 0, totals[201] or 0, totals[409] or 0, s5,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
