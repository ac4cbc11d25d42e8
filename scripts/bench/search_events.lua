-- wrk script: events within 25 km of a random point, one category, tickets
-- left, soonest first, limit 20. Shares search.lua's bookkeeping.
dofile("scripts/bench/search.lua")
local categories = {"Concert", "Theatre", "Sport", "Comedy", "Festival", "Film", "Dance", "Food"}

function request()
  local lat = 5.0 + math.random() * 1.2
  local long = -0.8 + math.random() * 1.2
  local path = string.format(
    "/search/events?lat=%.5f&long=%.5f&radius_km=25&category=%s&available=true&limit=20",
    lat, long, categories[math.random(1, #categories)])
  return wrk.format("GET", path)
end
