"""Kill -9 the booking service in the middle of a booking load (free and paid),
restart it, and check that nothing was lost, doubled or left stuck.

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


async def client(session, n, day, answers, stop_at):
    """Books slot after slot; retries each key until it gets an answer."""
    i = 0
    while time.monotonic() < stop_at:
        i += 1
        paid = i % 2 == 0
        pro = f"{'payable' if paid else 'bookable'}-{random.randint(1, 300)}"
        slot = random.randint(0, 37)
        body = {"professional_id": pro, "start_time": f"{day}T{8 + slot // 4:02d}:{(slot % 4) * 15:02d}:00Z",
                "duration_minutes": 30}
        key = f"kill-{n}-{i}-{uuid.uuid4().hex[:8]}"
        while True:
            try:
                async with session.post(BASE + "/bookings", json=body, headers={"Idempotency-Key": key}) as r:
                    text = await r.text()
                    if r.status == 409 and "idempotency_key_in_use" in text:
                        await asyncio.sleep(0.2)
                        continue
                    if r.status >= 500 and "injected" not in text:
                        # The process died mid-request or Stripe is briefly unreachable: retry the same key.
                        await asyncio.sleep(0.2)
                        continue
                    answers.append((key, r.status, text))
                    break
            except (aiohttp.ClientError, asyncio.TimeoutError):
                await asyncio.sleep(0.2)


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
            session.headers["Authorization"] = "Bearer " + (await r.json())["token"]
        stop_at = time.monotonic() + SECONDS
        load = asyncio.gather(*(client(session, n, day, answers, stop_at) for n in range(16)))
        while time.monotonic() < stop_at - 2:
            await asyncio.sleep(2.5)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            await asyncio.sleep(0.3)
            proc = start()
        await load
        # Let the restarted instance's completer and jobs finish what the kills left.
        await asyncio.sleep(4)
    proc.terminate()
    proc.wait()
    subprocess.run([BINARY, "jobs-once"], env=ENV, check=True, capture_output=True)

    created = {}
    for key, status, text in answers:
        if status == 201:
            created[key] = json.loads(text)["id"]
    ids = set(created.values())
    rows = set(sql("SELECT id FROM bookings").split())
    overlaps = int(sql("""SELECT count(*) FROM bookings a JOIN bookings b ON a.professional_id = b.professional_id
        AND a.id < b.id AND a.period && b.period
        WHERE a.status IN ('pending','confirmed') AND b.status IN ('pending','confirmed')"""))
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
        per_booking.setdefault(pi["metadata"].get("booking_id"), []).append(pi)
    orphans = sum(1 for b in per_booking if b not in rows)
    doubled = sum(1 for pis in per_booking.values()
                  if len([p for p in pis if p["status"] not in ("canceled",)]) > 1)
    attached_mismatch = int(sql("""SELECT count(*) FROM bookings WHERE price_cents > 0
        AND status IN ('pending','confirmed') AND payment_intent_id IS NULL"""))
    statuses = {}
    for _, status, _ in answers:
        statuses[status] = statuses.get(status, 0) + 1
    print(f"kills={kills} answers={len(answers)} statuses={dict(sorted(statuses.items()))} "
          f"bookings_answered_201={len(ids)} missing_rows={missing} overlaps={overlaps} stuck_keys={stuck} "
          f"intents={len(intents)} orphan_intents={orphans} bookings_with_two_live_intents={doubled} "
          f"active_paid_without_intent={attached_mismatch}")
    ok = missing == 0 and overlaps == 0 and stuck == 0 and orphans == 0 and doubled == 0 and attached_mismatch == 0
    sys.exit(0 if ok else 1)


asyncio.run(main())
