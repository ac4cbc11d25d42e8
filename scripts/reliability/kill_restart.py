"""Kill -9 the booking service in the middle of a load of bookings (free and
paid) and paid ticket orders (general admission and seats), restart it, and
check that nothing was lost, doubled, oversold or left stuck.

Clients behave like real ones: a request that got no answer (the process died)
is retried with the same Idempotency-Key until it gets one.

Usage: kill_restart.py BOOKING_BINARY DATABASE_URL STRIPE_BASE [SECONDS]
"""
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid

import aiohttp

BINARY, DATABASE_URL, STRIPE_BASE = sys.argv[1], sys.argv[2], sys.argv[3]
SECONDS = float(sys.argv[4]) if len(sys.argv) > 4 else 12
PORT = 3190
BASE = f"http://127.0.0.1:{PORT}"
ENV = dict(
    os.environ,
    DATABASE_URL=DATABASE_URL,
    BOOKING_LISTEN=f"127.0.0.1:{PORT}",
    STRIPE_API_BASE=STRIPE_BASE,
    IDEMPOTENCY_LEASE_SECS="2",
    JOBS_INTERVAL_SECS="1",
    RECONCILE_AFTER_SECS="2",
    RUST_LOG="warn",
    BOOKING_RATE_PER_MINUTE="1000000000",
    MAX_UNPAID_HOLDS_PER_USER="1000000000",
    MAX_UNPAID_HOLDS_PER_IP="1000000000",
)


def sql(query):
    out = subprocess.run(["psql", DATABASE_URL, "-qtAc", query], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def start():
    return subprocess.Popen([BINARY, "serve"], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def ready(session):
    for _ in range(300):
        try:
            async with session.get(BASE + "/readyz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise SystemExit("the booking service did not come up")


def next_request(i, day, events):
    """A booking (free or paid), a GA ticket order or a seat order, in turn."""
    kind = i % 4
    if kind < 2:
        pro = f"{'payable' if kind == 1 else 'bookable'}-{random.randint(1, 300)}"
        slot = random.randint(0, 37)
        return "/bookings", {"professional_id": pro, "duration_minutes": 30,
                             "start_time": f"{day}T{8 + slot // 4:02d}:{(slot % 4) * 15:02d}:00Z"}
    if kind == 2:
        ga = events["ga"]
        return f"/events/{ga['id']}/orders", {"items": [{"tier_id": ga["tiers"][0]["id"], "quantity": random.randint(1, 4)}]}
    seats = random.sample(events["labels"], random.randint(1, 3))
    return f"/events/{events['seated']['id']}/orders", {"seats": seats}


async def client(session, n, day, events, answers, stop_at):
    """Books and orders one after another; retries each key until it gets an answer."""
    i = n
    while time.monotonic() < stop_at:
        i += 1
        path, body = next_request(i, day, events)
        key = f"kill-{n}-{i}-{uuid.uuid4().hex[:8]}"
        while True:
            try:
                async with session.post(BASE + path, json=body, headers={"Idempotency-Key": key}) as r:
                    text = await r.text()
                    if r.status == 409 and "idempotency_key_in_use" in text:
                        await asyncio.sleep(0.2)
                        continue
                    if r.status >= 500 and "injected" not in text:
                        # The process died mid-request or Stripe is briefly unreachable: retry the same key.
                        await asyncio.sleep(0.2)
                        continue
                    answers.append((key, path, r.status, text))
                    break
            except (aiohttp.ClientError, asyncio.TimeoutError):
                await asyncio.sleep(0.2)


async def publish(session):
    """A paid general-admission event (5,000 tickets) and a paid seat map (8 x 50)."""
    starts = time.strftime("%Y-%m-%dT20:00:00Z", time.gmtime(time.time() + 30 * 86400))
    common = {"category": "Concert", "starts_at": starts, "venue": {"name": "Hall", "lat": 5.6, "long": -0.19}}
    bodies = {
        "ga": {**common, "title": "Kill GA", "tiers": [{"name": "GA", "price_cents": 500, "capacity": 5000}]},
        "seated": {**common, "title": "Kill seats",
                   "seat_rows": [{"row": r, "first": 1, "last": 50, "price_cents": 700} for r in "ABCDEFGH"]},
    }
    events = {}
    for name, body in bodies.items():
        async with session.post(BASE + "/events", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}) as r:
            events[name] = await r.json()
    events["labels"] = [f"{r}{n}" for r in "ABCDEFGH" for n in range(1, 51)]
    return events


async def main():
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 2 * 86400))
    answers = []
    proc = start()
    kills = 0
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await ready(session)
        # Paid bookings need a signed-in client.
        signup = {"email": f"kill-{uuid.uuid4().hex[:12]}@slotwise.dev", "password": "kill-password", "name": "Kill"}
        async with session.post(BASE + "/api/users/signup", json=signup) as r:
            assert r.status == 202, await r.text()
        async with session.post(BASE + "/api/users/signin", json=signup) as r:
            session.headers["Authorization"] = "Bearer " + (await r.json())["token"]
        events = await publish(session)
        stop_at = time.monotonic() + SECONDS
        load = asyncio.gather(*(client(session, n, day, events, answers, stop_at) for n in range(16)))
        while time.monotonic() < stop_at - 2:
            await asyncio.sleep(2.5)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            await asyncio.sleep(0.3)
            proc = start()
        await load
        # Clients pay some of what they were answered: a sample of the paid holds.
        paid = 0
        for key, path, status, text in answers:
            body = json.loads(text) if status == 201 else {}
            intent = (body.get("payment") or {}).get("payment_intent_id")
            if intent and paid < 60:
                for step, form in (("", {"payment_method": "pm_card_visa"}), ("/confirm", {})):
                    async with session.post(f"{STRIPE_BASE}v1/payment_intents/{intent}{step}", data=form,
                                            headers={"Authorization": "Bearer sk_test_slotwise_local"}) as r:
                        await r.read()
                paid += 1
        # Let the restarted instance's completer and jobs (reconciliation) finish what the kills left.
        await asyncio.sleep(5)
    proc.terminate()
    proc.wait()
    subprocess.run([BINARY, "jobs-once"], env=ENV, check=True, capture_output=True)

    created = {}
    for key, path, status, text in answers:
        if status == 201:
            created[key] = json.loads(text)["id"]
    ids = set(created.values())
    rows = set(sql("SELECT id FROM bookings UNION ALL SELECT id FROM orders").split())
    overlaps = int(sql("""SELECT count(*) FROM bookings a JOIN bookings b ON a.professional_id = b.professional_id
        AND a.id < b.id AND a.period && b.period
        WHERE a.status IN ('pending','confirmed') AND b.status IN ('pending','confirmed')"""))
    oversold = int(sql("SELECT count(*) FROM tier_stock WHERE held + sold > capacity"))
    # The stock counts exactly what active orders hold; every held seat is an active order's.
    stock_drift = int(sql("""SELECT count(*) FROM tier_stock t WHERE t.held + t.sold <> (
        SELECT COALESCE(sum(i.quantity), 0) FROM order_items i JOIN orders o ON o.event_id = i.event_id AND o.id = i.order_id
        WHERE i.event_id = t.event_id AND i.tier_id = t.tier_id AND i.bucket = t.bucket AND o.status IN ('pending', 'confirmed'))"""))
    seat_drift = int(sql("""SELECT count(*) FROM seats s WHERE s.order_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM orders o WHERE o.event_id = s.event_id AND o.id = s.order_id AND o.status IN ('pending', 'confirmed'))""")) + int(sql(
        """SELECT count(*) FROM order_items i JOIN orders o ON o.event_id = i.event_id AND o.id = i.order_id
        WHERE i.seat_id IS NOT NULL AND o.status IN ('pending', 'confirmed')
          AND NOT EXISTS (SELECT 1 FROM seats s WHERE s.event_id = i.event_id AND s.id = i.seat_id AND s.order_id = o.id)"""))
    stuck = int(sql("SELECT count(*) FROM idempotency_keys WHERE response_status IS NULL"))
    missing = len(ids - rows)
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer sk_test_slotwise_local"}) as session:
        intents, after = [], None
        while True:
            url = f"{STRIPE_BASE}v1/payment_intents?limit=100" + (f"&starting_after={after}" if after else "")
            async with session.get(url) as r:
                page = await r.json()
            intents += page["data"]
            if not page["has_more"] or not page["data"]:
                break
            after = page["data"][-1]["id"]
    per_booking = {}
    for pi in intents:
        payable = pi["metadata"].get("booking_id") or pi["metadata"].get("order_id")
        per_booking.setdefault(payable, []).append(pi)
    orphans = sum(1 for b in per_booking if b not in rows)
    doubled = sum(1 for pis in per_booking.values()
                  if len([p for p in pis if p["status"] not in ("canceled",)]) > 1)
    attached_mismatch = int(sql("""SELECT (SELECT count(*) FROM bookings WHERE price_cents > 0
        AND status IN ('pending','confirmed') AND payment_intent_id IS NULL) + (SELECT count(*) FROM orders
        WHERE total_cents > 0 AND status IN ('pending','confirmed') AND payment_intent_id IS NULL)"""))
    orders_201 = sum(1 for _, path, status, _ in answers if status == 201 and path.startswith("/events/"))
    statuses = {}
    for _, _, status, _ in answers:
        statuses[status] = statuses.get(status, 0) + 1
    print(f"kills={kills} answers={len(answers)} statuses={dict(sorted(statuses.items()))} "
          f"answered_201={len(ids)} (ticket orders {orders_201}) missing_rows={missing} overlaps={overlaps} "
          f"oversold_stock_rows={oversold} stock_drift={stock_drift} seat_drift={seat_drift} stuck_keys={stuck} "
          f"intents={len(intents)} orphan_intents={orphans} payables_with_two_live_intents={doubled} "
          f"active_paid_without_intent={attached_mismatch}")
    ok = (missing == 0 and overlaps == 0 and stuck == 0 and orphans == 0 and doubled == 0 and attached_mismatch == 0
          and oversold == 0 and stock_drift == 0 and seat_drift == 0)
    sys.exit(0 if ok else 1)


asyncio.run(main())
