"""Checks run through nginx against two booking and two search instances.

Also: ticket orders racing for one tier, their holds expired by both
instances' job loops; search with and without available_at.

Usage: cluster_check.py BOOKING_URL SEARCH_URL DATABASE_URL STRIPE_BASE PG_VERSION INSTANCE_URL...

With CLUSTER_CHECK_RESTART=0 the primary is not restarted (scripts/citus:
the cluster's nodes are not Debian's cluster).

BOOKING_URL and SEARCH_URL are nginx; the INSTANCE_URLs are the booking
instances behind it, asked directly for their /metrics (who did what).
"""
import asyncio
import os
import subprocess
import sys
import time
import uuid

import aiohttp

BOOKING, SEARCH, DATABASE_URL, STRIPE, PG_VERSION = sys.argv[1:6]
INSTANCES = sys.argv[6:]
DAY2 = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 2 * 86400))
DAY3 = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 3 * 86400))


def sql(query):
    return subprocess.run(["psql", DATABASE_URL, "-qtAc", query], check=True, capture_output=True,
                          text=True).stdout.strip()


async def signed_in(session):
    """Paid bookings need a signed-in client: sign up one for the whole check."""
    body = {"email": f"cluster-{uuid.uuid4().hex[:12]}@slotwise.dev", "password": "cluster-password", "name": "Cluster"}
    async with session.post(BOOKING + "/api/users/signup", json=body) as r:
        assert r.status == 202, await r.text()
    async with session.post(BOOKING + "/api/users/signin", json=body) as r:
        session.headers["Authorization"] = "Bearer " + (await r.json())["token"]


async def post_booking(session, key, body):
    while True:
        async with session.post(BOOKING + "/bookings", json=body, headers={"Idempotency-Key": key}) as r:
            text = await r.read()
            if r.status == 409 and b"idempotency_key_in_use" in text:
                await asyncio.sleep(0.1)
                continue
            return r.status, text


async def race(session):
    body = {"professional_id": "pro1", "start_time": f"{DAY2}T10:00:00Z", "duration_minutes": 60}
    started = time.monotonic()
    results = await asyncio.gather(*(post_booking(session, str(uuid.uuid4()), body) for _ in range(200)))
    statuses = [s for s, _ in results]
    return {"race_201": statuses.count(201), "race_409": statuses.count(409),
            "race_other": len(statuses) - statuses.count(201) - statuses.count(409),
            "race_seconds": round(time.monotonic() - started, 2)}


async def idempotency(session):
    sem = asyncio.Semaphore(50)

    async def one(i):
        k = i % 100
        body = {"professional_id": f"pro{2 + k % 10}",
                "start_time": f"{DAY3}T{8 + (k // 10) // 2:02d}:{30 * ((k // 10) % 2):02d}:00Z",
                "duration_minutes": 30}
        async with sem:
            status, text = await post_booking(session, f"cluster-{k}", body)
        return k, status, text

    answers = await asyncio.gather(*(one(i) for i in range(1000)))
    first, differing = {}, 0
    for k, status, text in answers:
        if first.setdefault(k, (status, text)) != (status, text):
            differing += 1
    created = sum(1 for s, _ in first.values() if s == 201)
    rows = int(sql("SELECT count(*) FROM bookings WHERE start_time::date = '%s'" % DAY3))
    return {"keys": len(first), "keys_answered_201": created, "booking_rows": rows, "differing_replays": differing}


async def jobs():
    # Expire every hold now; both instances' job loops race for them.
    pending = int(sql("SELECT count(*) FROM bookings WHERE status = 'pending'"))
    sql("UPDATE bookings SET expires_at = now() - interval '1 second' WHERE status = 'pending'")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and int(sql("SELECT count(*) FROM bookings WHERE status = 'pending'")):
        await asyncio.sleep(0.2)
    doubled = int(sql("""SELECT count(*) FROM (SELECT booking_id FROM booking_transitions
        WHERE to_status = 'expired' GROUP BY booking_id HAVING count(*) > 1) d"""))
    expired = int(sql("SELECT count(*) FROM bookings WHERE status = 'expired'"))
    return {"holds": pending, "expired_by_jobs": expired, "processed_twice": doubled}


async def tickets(session):
    """200 buyers of 1..4 tickets race for 50, holding them unpaid (each a
    PaymentIntent); then every hold is expired by the two instances' job
    loops, each once, and the stock is whole again."""
    event_body = {"title": "Cluster on-sale", "category": "Concert", "starts_at": f"{DAY3}T20:00:00Z",
                  "venue": {"name": "Hall", "lat": 5.6, "long": -0.19},
                  "tiers": [{"name": "GA", "price_cents": 1500, "capacity": 50}]}
    async with session.post(BOOKING + "/events", json=event_body,
                            headers={"Idempotency-Key": str(uuid.uuid4())}) as r:
        event = await r.json()
    event_id, tier = event["id"], event["tiers"][0]["id"]

    async def buy(i):
        body = {"items": [{"tier_id": tier, "quantity": 1 + i % 4}]}
        async with session.post(f"{BOOKING}/events/{event_id}/orders", json=body,
                                headers={"Idempotency-Key": str(uuid.uuid4())}) as r:
            await r.read()
            return r.status

    statuses = await asyncio.gather(*(buy(i) for i in range(200)))
    held = int(sql(f"SELECT COALESCE(sum(held + sold), 0) FROM tier_stock WHERE event_id = '{event_id}'"))
    ordered = int(sql(f"""SELECT COALESCE(sum(i.quantity), 0) FROM order_items i JOIN orders o
        ON o.event_id = i.event_id AND o.id = i.order_id WHERE o.event_id = '{event_id}' AND o.status = 'pending'"""))
    pending = int(sql(f"SELECT count(*) FROM orders WHERE event_id = '{event_id}' AND status = 'pending'"))
    sql(f"UPDATE orders SET expires_at = now() - interval '1 second' WHERE event_id = '{event_id}' AND status = 'pending'")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and int(sql(
            f"SELECT count(*) FROM orders WHERE event_id = '{event_id}' AND status = 'pending'")):
        await asyncio.sleep(0.2)
    doubled = int(sql(f"""SELECT count(*) FROM (SELECT order_id FROM order_transitions
        WHERE event_id = '{event_id}' AND to_status = 'expired' GROUP BY order_id HAVING count(*) > 1) d"""))
    expired = int(sql(f"SELECT count(*) FROM orders WHERE event_id = '{event_id}' AND status = 'expired'"))
    left = int(sql(f"SELECT COALESCE(sum(held + sold), 0) FROM tier_stock WHERE event_id = '{event_id}'"))
    return {"ticket_201": statuses.count(201), "ticket_409": statuses.count(409),
            "ticket_other": len(statuses) - statuses.count(201) - statuses.count(409),
            "tickets_held_of_50": held, "tickets_in_pending_orders": ordered, "ticket_holds": pending,
            "ticket_holds_expired": expired, "ticket_holds_expired_twice": doubled, "tickets_held_after": left}


async def search_free(session):
    """Search through nginx, with and without available_at."""
    plain = "/search/professionals?lat=5.6037&long=-0.187&location_radius_km=50&limit=20"
    found = {}
    for name, path in (("search", plain),
                       ("search_available", plain + f"&available_at={DAY3}T15:00:00Z&duration_minutes=30")):
        async with session.get(SEARCH + path) as r:
            body = await r.json()
            found[name] = f"{r.status}:{len(body.get('items', []))}"
    return found


async def metric(session, base, name, **labels):
    """Sum of a Prometheus counter's samples whose labels include `labels`."""
    async with session.get(base + "/metrics") as r:
        text = await r.text()
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        tags, value = line[len(name) + 1:].rsplit("} ", 1)
        found = dict(t.split("=", 1) for t in tags.split(","))
        if all(found.get(k) == f'"{v}"' for k, v in labels.items()):
            total += float(value)
    return int(total)


async def per_instance(session):
    async def each(name, **labels):
        return [await metric(session, base, name, **labels) for base in INSTANCES]
    return {"booking_posts_by_instance": await each("http_requests_total", method="POST", route="/bookings"),
            "expired_by_instance": await each("booking_outcomes_total", outcome="expired"),
            "job_rounds_by_instance": await each("job_runs_total", job="expire_holds", result="ok")}


async def poll(condition, seconds, what):
    """Waits until `condition()` (a function or a coroutine function) is true."""
    deadline = time.monotonic() + seconds
    while True:
        done = condition()
        if asyncio.iscoroutine(done):
            done = await done
        if done:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def search_through_restart(session):
    statuses = {}
    stop = asyncio.Event()

    async def loop():
        while not stop.is_set():
            try:
                async with session.get(SEARCH + "/search/professionals?lat=5.6037&long=-0.187&location_radius_km=25") as r:
                    await r.read()
                    statuses[r.status] = statuses.get(r.status, 0) + 1
            except aiohttp.ClientError:
                statuses["error"] = statuses.get("error", 0) + 1
            await asyncio.sleep(0.01)

    def answered():
        return sum(statuses.values())

    task = asyncio.create_task(loop())
    await poll(lambda: answered() >= 50, 30, "searches before the restart")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main", "stop", "-m", "fast"], check=True)
    at_stop = answered()
    # Keep the primary down until the replica alone has answered 200 more searches.
    await poll(lambda: answered() >= at_stop + 200, 60, "searches while the primary is down")
    while_down = dict(statuses)
    down_count = answered() - at_stop
    booking_while_down, _ = await post_booking(session, str(uuid.uuid4()), {
        "professional_id": "pro3", "start_time": f"{DAY2}T14:00:00Z", "duration_minutes": 30})
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main", "start"], check=True)
    body = {"professional_id": "pro3", "start_time": f"{DAY2}T15:00:00Z", "duration_minutes": 30}
    key = str(uuid.uuid4())
    answer = {}

    async def booked():
        answer["status"], _ = await post_booking(session, key, body)
        return answer["status"] != 503
    await poll(booked, 60, "a booking after the primary came back")
    stop.set()
    await task
    return {"search_answers": statuses, "searches_while_primary_down": down_count,
            "search_answers_until_primary_back": while_down, "booking_while_primary_down": booking_while_down,
            "booking_after_restart": answer["status"]}


async def main():
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=250)) as session:
        await signed_in(session)
        figures = {}
        figures.update(await race(session))
        figures.update(await idempotency(session))
        figures.update(await jobs())
        figures.update(await tickets(session))
        figures.update(await search_free(session))
        figures.update(await per_instance(session))
        restart = os.environ.get("CLUSTER_CHECK_RESTART", "1") != "0"
        if restart:
            figures.update(await search_through_restart(session))
    print(" ".join(f"{k}={v}" for k, v in figures.items()))
    ok = (figures["race_201"] == 1 and figures["race_409"] == 199 and figures["keys_answered_201"] == 100
          and figures["booking_rows"] == 100 and figures["differing_replays"] == 0
          and figures["processed_twice"] == 0 and figures["expired_by_jobs"] >= figures["holds"]
          and figures["ticket_other"] == 0 and figures["ticket_201"] > 0 and figures["tickets_held_of_50"] <= 50
          and figures["tickets_held_of_50"] == figures["tickets_in_pending_orders"]
          and figures["ticket_holds_expired"] == figures["ticket_holds"] and figures["ticket_holds_expired_twice"] == 0
          and figures["tickets_held_after"] == 0
          and figures["search"].startswith("200:") and figures["search_available"].startswith("200:")
          and (not restart or (set(figures["search_answers"]) == {200}
                               and figures["booking_after_restart"] == 201
                               and figures["booking_while_primary_down"] == 503))
          and all(n > 0 for n in figures["booking_posts_by_instance"])
          and all(n > 0 for n in figures["job_rounds_by_instance"])
          and sum(figures["expired_by_instance"]) == figures["expired_by_jobs"] + figures["ticket_holds_expired"])
    sys.exit(0 if ok else 1)


asyncio.run(main())
