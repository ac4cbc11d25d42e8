"""What a real client has before it calls the booking API, made through the
API itself (and psql for what only a mailbox or an operator holds): accounts
(a client, a professional, an admin, a second buyer), a professional with a
window, a booking, events with tickets, a paid order, listings, scanner
devices, a pending gift, webhook endpoints, mailed tokens. Prints them as JSON
for hooks.py. Usage: fixtures.py BOOKING_URL STRIPE_URL DATABASE_URL"""
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

BASE, STRIPE, DB = sys.argv[1:4]


def call(method, path, token=None, body=None, headers=None, expect=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    answer = json.loads(text) if text else None
    if expect and status not in expect:
        raise SystemExit(f"{method} {path}: {status} {answer}")
    return answer


def sql(query):
    return subprocess.run(["psql", DB, "-qtAc", query], check=True, capture_output=True, text=True).stdout.strip()


def account(role="client"):
    email = f"fuzz-{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "password": "fuzz-password", "name": "Fuzz", "role": role}
    call("POST", "/api/users/signup", body=body, expect={202})
    token = call("POST", "/api/users/signin", body={"email": email, "password": "fuzz-password"}, expect={200})["token"]
    return email, token


def once(method, path, token, body):
    return call(method, path, token, body, {"Idempotency-Key": str(uuid.uuid4())}, expect={200, 201})


def stripe(path, form):
    data = "&".join(f"{k}={v}" for k, v in form.items()).encode()
    req = urllib.request.Request(STRIPE + path, data=data, method="POST")
    req.add_header("Authorization", "Basic c2tfdGVzdF9zbG90d2lzZV9sb2NhbDo=")  # sk_test_slotwise_local:
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def main():
    f = {}
    demo = call("POST", "/api/users/signin", body={"email": "demo@slotwise.dev", "password": "demo-password"}, expect={200})["token"]
    f["client"] = demo
    _, f["buyer2"] = account()
    _, f["signout"] = account()
    admin_email, f["admin"] = account()
    sql(f"UPDATE users SET role = 'admin' WHERE email = '{admin_email}'")

    # A professional with a weekly schedule and a window: bookable slots.
    _, f["pro_token"] = account("professional")
    # A professional without a profile yet, to create one.
    _, f["pro2_token"] = account("professional")
    slug = f"fuzz-pro-{uuid.uuid4().hex[:8]}"
    pro = call("POST", "/professionals", f["pro_token"], {
        "slug": slug, "name": "Fuzz Pro", "category": "Plumber", "rate_per_minute": 100,
        "location": {"lat": 5.6037, "long": -0.187}}, expect={201})
    f["pro"] = pro["id"]
    day = (datetime.now(timezone.utc) + timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)
    window = call("POST", f"/professionals/{pro['id']}/availability", f["pro_token"], {
        "start_time": day.isoformat(), "end_time": (day + timedelta(hours=10)).isoformat()}, expect={201})
    later = day + timedelta(days=1)
    spare = call("POST", f"/professionals/{pro['id']}/availability", f["pro_token"], {
        "start_time": later.isoformat(), "end_time": (later + timedelta(hours=2)).isoformat()}, expect={201})
    f["window"] = spare["id"]
    # Weekly hours on Sundays, far from the windows above.
    call("PUT", f"/professionals/{pro['id']}/schedule", f["pro_token"], {
        "timezone": "UTC", "weekly": [{"day": "sun", "start": "20:00", "end": "22:00"}]}, expect={200})
    f["slot"] = (day + timedelta(hours=1)).isoformat()
    booked = once("POST", "/bookings", demo, {"professional_id": pro["id"], "start_time": day.isoformat(), "duration_minutes": 30})
    f["booking"] = booked["id"]

    # Events of the client: free GA (tickets, listings, devices), a paid one, one to cancel.
    starts = (datetime.now(timezone.utc) + timedelta(days=20)).isoformat()
    common = {"category": "Concert", "venue": {"name": "Fuzz Hall", "lat": 5.6, "long": -0.19}, "starts_at": starts}
    event = once("POST", "/events", demo, {"title": "Fuzz night", **common,
                 "tiers": [{"name": "GA", "price_cents": 0, "capacity": 100000}]})
    f["event"], f["tier"] = event["id"], event["tiers"][0]["id"]
    f["event_cancel"] = once("POST", "/events", demo, {"title": "Fuzz spare", **common,
                             "tiers": [{"name": "GA", "price_cents": 0, "capacity": 10}]})["id"]
    order = once("POST", f"/events/{f['event']}/orders", demo, {"items": [{"tier_id": f["tier"], "quantity": 6}]})
    f["order"] = order["id"]
    t = [x["id"] for x in order["tickets"]]
    f["ticket"], f["ticket_list"], f["ticket_give"], f["ticket_revoke"], f["ticket_pending"], own = t
    once("POST", f"/tickets/{f['ticket_pending']}/transfer", demo, {"to_email": f"nobody-{uuid.uuid4().hex[:8]}@example.com"})
    f["listing_own"] = call("POST", f"/tickets/{own}/listing", demo, {"price_cents": 100}, expect={201})["id"]
    theirs = once("POST", f"/events/{f['event']}/orders", f["buyer2"], {"items": [{"tier_id": f["tier"], "quantity": 1}]})
    f["listing_buy"] = call("POST", f"/tickets/{theirs['tickets'][0]['id']}/listing", f["buyer2"],
                            {"price_cents": 100}, expect={201})["id"]
    f["code"] = order["tickets"][0]["code"]
    device = call("POST", f"/events/{f['event']}/scanners", demo, {"name": "Fuzz door"}, expect={201})
    f["device_token"] = device["token"]
    f["scanner_revoke"] = call("POST", f"/events/{f['event']}/scanners", demo, {"name": "Spare"}, expect={201})["id"]

    # A paid order of two tickets, paid at the emulator: refundable.
    paid = once("POST", "/events", demo, {"title": "Fuzz paid", **common,
                "tiers": [{"name": "GA", "price_cents": 1500, "capacity": 100}]})
    porder = once("POST", f"/events/{paid['id']}/orders", demo, {"items": [{"tier_id": paid["tiers"][0]["id"], "quantity": 2}]})
    intent = porder["payment"]["payment_intent_id"]
    stripe(f"v1/payment_intents/{intent}", {"payment_method": "pm_card_visa"})
    stripe(f"v1/payment_intents/{intent}/confirm", {})
    for _ in range(300):
        now = call("GET", f"/orders/{porder['id']}", demo)
        if now["status"] == "confirmed":
            break
        time.sleep(0.1)
    f["paid_order"] = porder["id"]
    f["paid_tickets"] = [x["id"] for x in now["tickets"]]

    # Webhook endpoints of the client (one to delete); an account holds at
    # most 10, so those of earlier runs go first.
    for old in call("GET", "/webhook-endpoints", demo, expect={200})["items"]:
        call("DELETE", f"/webhook-endpoints/{old['id']}", demo, expect={204, 404})
    hook = {"url": "http://127.0.0.1:9/hook", "event_types": ["booking.confirmed"]}
    f["endpoint"] = call("POST", "/webhook-endpoints", demo, hook, expect={201})["id"]
    f["endpoint_delete"] = call("POST", "/webhook-endpoints", demo, hook, expect={201})["id"]
    f["delivery"] = str(uuid.uuid4())

    # What only a mailbox holds: a verification and a reset token.
    email, _ = account()
    call("POST", "/api/users/password-reset", body={"email": email}, expect={202})
    for topic, key in [("account.verify_email", "verify_token"), ("account.password_reset", "reset_token")]:
        link = sql(f"SELECT mail->>'link' FROM outbox WHERE topic = '{topic}' AND email = '{email}' ORDER BY created_at DESC LIMIT 1")
        f[key] = link.rsplit("token=", 1)[-1]
    print(json.dumps(f))


main()
