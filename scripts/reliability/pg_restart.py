"""Restart PostgreSQL in the middle of a load on both services: while it is
down they must answer 503 problem+json (never another 5xx, never hang), and
recover by themselves when it is back; nothing is lost or duplicated.

Usage: pg_restart.py BOOKING_URL SEARCH_URL DATABASE_URL PG_VERSION
"""
import asyncio
import json
import subprocess
import sys
import time
import uuid

import aiohttp

BOOKING, SEARCH, DATABASE_URL, PG_VERSION = sys.argv[1:5]


def pg(action):
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main", action, "-m", "fast"]
                   if action == "stop" else
                   ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main", action], check=True)


def sql(query):
    return subprocess.run(["psql", DATABASE_URL, "-qtAc", query], check=True, capture_output=True,
                          text=True).stdout.strip()


async def main():
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 2 * 86400))
    phase = {"now": "before"}
    seen = []          # (phase, service, status, is_problem)
    answers = {}       # key -> first 201 body
    bad = []
    stop = asyncio.Event()

    async def booking_client(n):
        i = 0
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as s:
            while not stop.is_set():
                i += 1
                key = f"pg-{n}-{i}-{uuid.uuid4().hex[:6]}"
                slot = (n * 1000 + i) % 38
                body = {"professional_id": f"bookable-{1 + (n * 7 + i) % 300}",
                        "start_time": f"{day}T{8 + slot // 4:02d}:{(slot % 4) * 15:02d}:00Z", "duration_minutes": 30}
                while not stop.is_set():
                    try:
                        async with s.post(BOOKING + "/bookings", json=body, headers={"Idempotency-Key": key}) as r:
                            text = await r.text()
                            problem = r.headers.get("content-type", "") == "application/problem+json"
                            seen.append((phase["now"], "booking", r.status, problem))
                            if r.status >= 500 and not (r.status == 503 and problem):
                                bad.append((phase["now"], r.status, text[:200]))
                            if r.status == 503:
                                await asyncio.sleep(0.2)
                                continue  # retry the same key, as a client would
                            if r.status == 201:
                                if key in answers and answers[key] != text:
                                    bad.append(("replay differs", key))
                                answers[key] = text
                            break
                    except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                        bad.append((phase["now"], "no answer", repr(e)))
                        break

    async def search_client():
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as s:
            while not stop.is_set():
                try:
                    async with s.get(SEARCH + "/search/professionals?lat=5.6&long=-0.18&location_radius_km=5") as r:
                        await r.read()
                        problem = r.headers.get("content-type", "") == "application/problem+json"
                        seen.append((phase["now"], "search", r.status, problem))
                        if r.status >= 500 and not (r.status == 503 and problem):
                            bad.append((phase["now"], r.status, "search"))
                except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                    bad.append((phase["now"], "no answer", repr(e)))
                await asyncio.sleep(0.02)

    tasks = [asyncio.create_task(booking_client(n)) for n in range(8)] + [asyncio.create_task(search_client())]
    await asyncio.sleep(3)
    phase["now"] = "down"
    pg("stop")
    await asyncio.sleep(4)
    phase["now"] = "recovering"
    pg("start")
    recovered_at = None
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        recent = [x for x in seen[-20:] if x[0] == "recovering"]
        if recent and all(x[2] in (200, 201, 409) for x in recent[-10:]):
            recovered_at = time.monotonic() - t0
            break
        await asyncio.sleep(0.2)
    phase["now"] = "after"
    await asyncio.sleep(3)
    stop.set()
    await asyncio.gather(*tasks)

    def count(ph, service, pred):
        return sum(1 for p, sv, st, pr in seen if p == ph and sv == service and pred(st, pr))

    rows = set(sql("SELECT id FROM bookings").split())
    ids = {json.loads(t)["id"] for t in answers.values()}
    overlaps = int(sql("""SELECT count(*) FROM bookings a JOIN bookings b ON a.professional_id = b.professional_id
        AND a.id < b.id AND a.period && b.period
        WHERE a.status IN ('pending','confirmed') AND b.status IN ('pending','confirmed')"""))
    print(f"while_down: booking_503={count('down', 'booking', lambda s, p: s == 503 and p)} "
          f"search_503={count('down', 'search', lambda s, p: s == 503 and p)} "
          f"other_5xx={sum(1 for b in bad if b[0] == 'down')} | "
          f"recovered_in_s={recovered_at if recovered_at is None else round(recovered_at, 1)} | "
          f"after: booking_ok={count('after', 'booking', lambda s, p: s in (201, 409))} "
          f"search_ok={count('after', 'search', lambda s, p: s == 200)} | "
          f"bookings_answered_201={len(ids)} missing_rows={len(ids - rows)} overlaps={overlaps} problems={bad[:5]}")
    sys.exit(0 if not bad and recovered_at is not None and not (ids - rows) and overlaps == 0 else 1)


asyncio.run(main())
