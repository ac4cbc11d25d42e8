-- wrk script: door check-ins, each a ticket's code scanned once.
-- args: EVENT_ID CODES_FILE; BENCH_DEVICE holds a scanner device's token.
-- Thread i of n takes codes i, i+n, i+2n, ...; shares booking.lua's bookkeeping.
dofile("scripts/bench/booking.lua")

function init(args)
  event = args[1]
  codes = {}
  for line in io.lines(args[2]) do codes[#codes + 1] = line end
  counter = 0
  statuses = {}
  device = os.getenv("BENCH_DEVICE")
  threads_n = tonumber(os.getenv("BENCH_THREADS") or "2")
end

function request()
  local i = id + counter * threads_n
  counter = counter + 1
  local code = codes[((i - 1) % #codes) + 1]
  local body = string.format('{"code":"%s","scan_id":"s-%d-%d"}', code, id, counter)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. device,
  }
  return wrk.format("POST", "/events/" .. event .. "/checkins", headers, body)
end
