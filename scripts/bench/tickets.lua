-- wrk script: ticket orders of 1..4 units of one tier, unique Idempotency-Keys.
-- args: EVENT_ID TIER_ID KEY_PREFIX; BENCH_TOKEN must hold a signed-in buyer's token.
-- Shares booking.lua's bookkeeping (setup, response, done).
dofile("scripts/bench/booking.lua")

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
