"""A hot on-sale until nothing is left: CLIENTS buyers at once, each ordering
1..4 general-admission tickets of one tier (mode `ga`), or 1..4 random seats
of a seat map (mode `seats`), with unique Idempotency-Keys, again and again
until sold out. Prints time to sell out, throughput and latency percentiles.
With OPENS_AT (epoch seconds, the tier's `sales_start`) the buyers are there
before it, as at a real on-sale: each is told 409 `not_on_sale` and asks again
every 50 ms; times and percentiles are then counted from the opening.
Usage: onsale.py BASE_URL TOKEN EVENT_ID CLIENTS ga TIER_ID [OPENS_AT] | seats"""
import asyncio
import random
import sys
import time
import uuid

import aiohttp


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))] * 1000 if values else 0.0


async def main():
    base, token, event, clients, mode = sys.argv[1:6]
    clients = int(clients)
    url = f"{base}/events/{event}/orders"
    headers = {"Authorization": f"Bearer {token}"}
    opens = float(sys.argv[7]) if mode == "ga" and len(sys.argv) > 7 else None
    state = {"left": True, "tickets": 0, "orders": 0, "statuses": {}, "latencies": [], "early": 0}
    free = set()
    if mode == "seats":
        async with aiohttp.ClientSession() as s:
            async with s.get(f"{base}/events/{event}/seats") as r:
                free = {seat["label"] for seat in (await r.json())["items"] if seat["status"] == "available"}

    async def buyer(session):
        while state["left"]:
            if mode == "ga":
                quantity = random.randint(1, 4)
                body = {"items": [{"tier_id": sys.argv[6], "quantity": quantity}]}
            else:
                if not free:
                    return
                want = random.sample(sorted(free), min(len(free), random.randint(1, 4)))
                quantity, body = len(want), {"seats": want}
            started = time.perf_counter()
            async with session.post(url, json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}) as r:
                answer = await r.json(content_type=None)
            if r.status == 409 and answer.get("code") == "not_on_sale":
                state["early"] += 1
                await asyncio.sleep(0.05)
                continue
            state["latencies"].append(time.perf_counter() - started)
            state["statuses"][r.status] = state["statuses"].get(r.status, 0) + 1
            if r.status == 201:
                state["orders"] += 1
                state["tickets"] += quantity
                free.difference_update(body.get("seats", []))
            elif r.status == 409 and answer.get("code") == "sold_out" and answer.get("available") == 0:
                state["left"] = False
            elif r.status == 409 and answer.get("code") == "seat_unavailable":
                free.difference_update(answer.get("seats") or [])

    started, wall_started = time.perf_counter(), time.time()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(buyer(session) for _ in range(clients)))
    seconds = time.perf_counter() - started
    if opens is not None:
        # From the opening (the buyers were there before it).
        seconds -= max(0.0, opens - wall_started)
    lat = state["latencies"]
    statuses = " ".join(f"s{k}={v}" for k, v in sorted(state["statuses"].items()))
    print(f"sold_out_s={seconds:.2f} orders={state['orders']} tickets={state['tickets']} "
          f"requests={len(lat)} rps={len(lat) / seconds:.1f} orders_per_s={state['orders'] / seconds:.1f} "
          f"p50_ms={pct(lat, 50):.2f} p95_ms={pct(lat, 95):.2f} p99_ms={pct(lat, 99):.2f} "
          f"max_ms={max(lat) * 1000 if lat else 0:.2f} {statuses}"
          + (f" not_on_sale={state['early']}" if opens is not None else ""))


asyncio.run(main())
