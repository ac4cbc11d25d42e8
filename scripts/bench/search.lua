-- wrk script: radius 25 km + category + max rate, limit 20, from random points.
-- With SEARCH_AVAILABLE set, also available_at: a whole hour on one of the next
-- six days, 08:00-18:00 UTC (as scripts/bench/search_available.sql), or the
-- hours SEARCH_HOURS names.
local available = os.getenv("SEARCH_AVAILABLE")
-- The hours (UTC) asked for: "8 18" by default; "1 4" is when nobody works
-- (the empty-result shape: every candidate in the disc is examined).
local h0, h1 = string.match(os.getenv("SEARCH_HOURS") or "8 18", "(%d+) (%d+)")
h0, h1 = tonumber(h0), tonumber(h1)
local categories = {"Plumber", "Electrician", "Tutor", "Trainer", "Consultant", "Cleaner", "Mechanic", "Designer"}
local threads = {}
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  math.randomseed(os.time() * 1000 + id)
end

function request()
  local lat = 5.0 + math.random() * 1.2
  local long = -0.8 + math.random() * 1.2
  local path = string.format(
    "/search/professionals?lat=%.5f&long=%.5f&location_radius_km=25&category=%s&rate_per_minute=150&limit=20",
    lat, long, categories[math.random(1, #categories)])
  if available then
    local now = os.time()
    local t = now - now % 86400 + math.random(1, 6) * 86400 + math.random(h0, h1) * 3600
    path = path .. os.date("!&available_at=%Y-%m-%dT%H:00:00Z&duration_minutes=60", t)
  end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local ok, s5 = 0, 0
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do
      if status == 200 then ok = ok + n elseif status >= 500 then s5 = s5 + n end
    end
  end
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f s200=%d s5xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, ok, s5))
end
