"""Paid bookings against a running booking service (scripts/run's demo data),
at a steady pace, for scripts/monitor's demonstration: USERS fresh clients,
each booking a random demo professional's half hour with a test card, about
RATE requests a second in all, for SECONDS. Prints a count of answers by
status every 30 seconds.   python3 paid_load.py BASE_URL SECONDS [RATE] [USERS]"""
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

base, seconds = sys.argv[1].rstrip("/"), float(sys.argv[2])
rate = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0
users = int(sys.argv[4]) if len(sys.argv) > 4 else 4
counts, lock = Counter(), threading.Lock()


def post(path, body, token=None, key=None):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if key:
        req.add_header("Idempotency-Key", key)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, json.load(res)
    except urllib.error.HTTPError as err:
        return err.code, None


def client(deadline):
    email = f"load-{uuid.uuid4().hex[:12]}@slotwise.dev"
    status, body = post("/api/users/signup", {"email": email, "password": "load-password", "name": "Load"})
    if status != 202:
        raise SystemExit(f"sign-up answered {status}")
    status, body = post("/api/users/signin", {"email": email, "password": "load-password"})
    if status != 200:
        raise SystemExit(f"sign-in answered {status}")
    token = body["token"]
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    while time.time() < deadline:
        start = today + timedelta(days=random.randint(1, 13), minutes=480 + 30 * random.randint(0, 19))
        status, _ = post("/bookings", {"professional_id": f"pro{random.randint(1, 41)}",
                                       "start_time": start.isoformat(), "duration_minutes": 30,
                                       "payment_method": "pm_card_visa"},
                         token, str(uuid.uuid4()))
        with lock:
            counts[status] += 1
        time.sleep(users / rate)


deadline = time.time() + seconds
threads = [threading.Thread(target=client, args=(deadline,), daemon=True) for _ in range(users)]
for t in threads:
    t.start()
while any(t.is_alive() for t in threads):
    time.sleep(min(30, max(0.1, deadline - time.time() + 1)))
    with lock:
        print(datetime.now(timezone.utc).strftime("%H:%M:%S"), dict(sorted(counts.items())), flush=True)
