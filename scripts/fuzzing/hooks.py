"""Schemathesis hooks: give the fuzzer what a real client has (fixtures.py's
accounts and resources), so every operation is tried past its guards, and
note which statuses each operation answered (FUZZ_REACHED, a JSON file).

Only well-formed generated values are swapped for real ones (a UUID by a real
id, the account an operation needs, a present
If-Match by the current version): a case generated to be invalid stays so."""
import json
import os
import random
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import schemathesis

FIXTURES = json.load(open(os.environ["FUZZ_FIXTURES"]))
REACHED = os.environ.get("FUZZ_REACHED")
BASE = os.environ.get("FUZZ_BASE", "http://127.0.0.1:3000")
reached: dict = {}
# A seeded run (FUZZ_SEED) makes the same choices every time.
if os.environ.get("FUZZ_SEED"):
    random.seed(int(os.environ["FUZZ_SEED"]))

# Which fixture each path parameter takes, by operation: "METHOD path" -> {param: key}.
PATHS = {
    "/professionals/{id}": {"id": "pro"},
    "/professionals/{id}/availability": {"id": "pro"},
    "/professionals/{id}/availability/{window_id}": {"id": "pro", "window_id": "window"},
    "/professionals/{id}/schedule": {"id": "pro"},
    "/bookings/{id}": {"id": "booking"},
    "/bookings/{id}/cancel": {"id": "booking"},
    "/events/{id}/cancel": {"id": "event_cancel"},
    "/events/{id}/scanners/{scanner_id}": {"id": "event", "scanner_id": "scanner_revoke"},
    "/orders/{id}/refunds": {"id": "paid_order"},
    "/orders/{id}": {"id": "order"},
    "POST /tickets/{id}/transfer": {"id": "ticket_give"},
    "DELETE /tickets/{id}/transfer": {"id": "ticket_pending"},
    "/tickets/{id}/revoke": {"id": "ticket_revoke"},
    "/tickets/{id}/listing": {"id": "ticket_list"},
    "/tickets/{id}": {"id": "ticket"},
    "POST /listings/{id}/orders": {"id": "listing_buy"},
    "/listings/{id}": {"id": "listing_own"},
    "DELETE /webhook-endpoints/{id}": {"id": "endpoint_delete"},
    "/webhook-endpoints/{id}": {"id": "endpoint"},
    "/webhook-endpoints/{id}/enable": {"id": "endpoint"},
    "/webhook-endpoints/{id}/deliveries": {"id": "endpoint"},
    "/admin/deliveries/{id}/retry": {"id": "delivery"},
}
# Every other /events/{id}/... operation: the fuzz event.
EVENT_DEFAULT = {"id": "event"}
# Whose token an operation needs, when not the demo client's.
TOKENS = {
    "POST /professionals": "pro2_token",
    "PATCH /professionals/{id}": "pro_token",
    "POST /professionals/{id}/availability": "pro_token",
    "DELETE /professionals/{id}/availability/{window_id}": "pro_token",
    "PUT /professionals/{id}/schedule": "pro_token",
    "POST /events/{id}/checkins": "device_token",
    "POST /events/{id}/checkins/batch": "device_token",
    # Its own session: signing out the one sent everywhere would leave every
    # operation fuzzed after it answering 401.
    "POST /api/users/signout": "signout",
    "GET /admin/deliveries/dead": "admin",
    "POST /admin/deliveries/{id}/retry": "admin",
}
# Where the current version of a resource is read for If-Match.
VERSIONS = {
    "/professionals/{id}": "/professionals/{id}",
    "/events/{id}": "/events/{id}",
    "/listings/{id}": None,
    "/professionals/{id}/schedule": "/professionals/{id}/schedule",
}


def good_body(method: str, path: str):
    """A body a real client would send, for the operations whose generated
    bodies almost never pass their checks (a future time inside a window,
    an existing tier, a valid address): the success path gets fuzzed too."""
    day = datetime.fromisoformat(FIXTURES["slot"]).replace(hour=8, minute=0)
    soon = datetime.now(timezone.utc) + timedelta(days=30)
    unique = uuid.uuid4().hex[:10]
    window = (soon + timedelta(days=random.randint(0, 300), hours=random.randint(0, 23))).replace(
        minute=0, second=0, microsecond=0)
    bodies = {
        "POST /api/users/signin": {"email": "demo@slotwise.dev", "password": "demo-password"},
        "POST /professionals": {"slug": f"fuzz-{unique}", "name": "Fuzz Two", "category": "Tutor",
                                "rate_per_minute": 50, "location": {"lat": 5.6, "long": -0.19}},
        "POST /professionals/{id}/availability": {
            "start_time": window.isoformat(), "end_time": (window + timedelta(hours=1)).isoformat()},
        "POST /bookings": {"professional_id": FIXTURES["pro"], "duration_minutes": 30,
                           "start_time": (day + timedelta(minutes=30 * random.randint(0, 19))).isoformat()},
        "POST /events": {"title": f"Fuzz {unique}", "category": "Concert", "starts_at": soon.isoformat(),
                         "venue": {"name": "Fuzz Hall", "lat": 5.6, "long": -0.19},
                         "tiers": [{"name": "GA", "price_cents": 0, "capacity": 10}]},
        "POST /events/{id}/comps": {"to_email": f"guest-{unique}@example.com", "tier_id": FIXTURES["tier"], "quantity": 1},
        "POST /events/{id}/orders": {"items": [{"tier_id": FIXTURES["tier"], "quantity": 1}]},
        "POST /orders/{id}/refunds": {"ticket_ids": FIXTURES["paid_tickets"][:1]},
        "POST /tickets/{id}/transfer": {"to_email": f"friend-{unique}@example.com"},
        "PATCH /listings/{id}": {"price_cents": random.randint(1, 100)},
        "POST /listings/{id}/orders": {},
        "PUT /professionals/{id}/schedule": {"timezone": "UTC", "weekly": [
            {"day": "sun", "start": "20:00", "end": random.choice(["21:00", "22:00", "23:00"])}]},
        "POST /webhook-endpoints": {"url": "http://127.0.0.1:9/hook", "event_types": ["booking.confirmed"]},
    }
    return bodies.get(f"{method} {path}")


def is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def mapping(method: str, path: str) -> dict:
    return PATHS.get(f"{method} {path}") or PATHS.get(path) or (EVENT_DEFAULT if path.startswith("/events/{id}") else {})


def current_version(path: str, params: dict):
    """The resource's version now (ETag or body's `version`), for If-Match."""
    if path is None:
        # A listing's version is read from its event's listings.
        url = f"{BASE}/events/{FIXTURES['event']}/listings"
        req = urllib.request.Request(url)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                items = json.loads(r.read())["items"]
        except Exception:
            return None
        return next((f'"{i["version"]}"' for i in items if i["id"] == params.get("id")), None)
    url = BASE + path.format(**params)
    req = urllib.request.Request(url)
    req.add_header("Authorization", f"Bearer {FIXTURES['client']}")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            tag = r.headers.get("ETag")
            body = json.loads(r.read() or b"null")
    except Exception:
        return None
    if tag:
        return tag
    if isinstance(body, dict) and "version" in body:
        return f'"{body["version"]}"'
    return None


@schemathesis.auth(refresh_interval=None, retry_on=[])
class Sessions:
    """The account each operation needs (the demo client's unless TOKENS
    says otherwise): a session is not generated data. As an auth provider,
    not a header, so schemathesis knows it and its auth checks still send
    the operation once without it and once with a wrong one."""

    def get(self, case, ctx):
        return FIXTURES

    def set(self, case, data, ctx):
        key = TOKENS.get(f"{case.operation.method.upper()} {case.operation.path}", "client")
        case.headers = dict(case.headers or {}, Authorization=f"Bearer {data[key]}")


@schemathesis.hook
def before_call(ctx, case, kwargs):
    method, path = case.operation.method.upper(), case.operation.path
    positive = case.meta is None or case.meta.generation.mode == "positive"
    # Sign-in gets few positive cases (its body is two strings): every one.
    share = 1.0 if path == "/api/users/signin" else 0.5
    good = good_body(method, path) if positive and random.random() < share else None
    if good is not None:
        case.body = good
        # A fresh key: generated ones repeat ("0"), and a key sent again with
        # another body is rightly 422 idempotency_key_reused.
        if "Idempotency-Key" in case.operation.headers:
            case.headers = dict(case.headers or {}, **{"Idempotency-Key": str(uuid.UUID(int=random.getrandbits(128)))})
    # Three times in four a real resource, else the generated value (404s are contract too).
    # A known-good body always goes to the real resource. The stateful phase
    # names resources it just made (a link from their creation): left alone.
    stateful = case.meta is not None and case.meta.phase.name == "stateful"
    if not stateful and (good is not None or random.random() < 0.75):
        params = case.path_parameters or {}
        for name, key in mapping(method, path).items():
            # A UUID parameter only when it is one; events and professionals
            # are named by id or slug, where any string is well-formed.
            if name in params and (good is not None or is_uuid(params[name]) or key in ("pro", "event", "event_cancel")):
                params[name] = FIXTURES[key]
        headers = case.headers if case.headers is not None else {}
        if good is not None and method == "PATCH":
            headers.setdefault("If-Match", "")
            case.headers = headers
        if "If-Match" in headers and path in VERSIONS:
            version = current_version(VERSIONS[path], params)
            if version:
                headers["If-Match"] = version
                if "headers" in kwargs:
                    kwargs["headers"]["If-Match"] = version
        body = case.body if isinstance(case.body, dict) else None
        if body is not None:
            if is_uuid(body.get("tier_id")):
                body["tier_id"] = FIXTURES["tier"]
            for item in body.get("items") or []:
                if isinstance(item, dict) and is_uuid(item.get("tier_id")):
                    item["tier_id"] = FIXTURES["tier"]
            if path == "/orders/{id}/refunds" and isinstance(body.get("ticket_ids"), list) and body["ticket_ids"] \
                    and all(is_uuid(t) for t in body["ticket_ids"]):
                body["ticket_ids"] = FIXTURES["paid_tickets"][:1]
            if path == "/bookings" and isinstance(body.get("professional_id"), str):
                body["professional_id"] = FIXTURES["pro"]
                if isinstance(body.get("start_time"), str):
                    body["start_time"] = FIXTURES["slot"]
                if isinstance(body.get("duration_minutes"), int):
                    body["duration_minutes"] = 30
            if "code" in body and isinstance(body.get("code"), str) and path.endswith("/checkins"):
                body["code"] = FIXTURES["code"]
            if path == "/api/users/verify-email" and isinstance(body.get("token"), str):
                body["token"] = FIXTURES["verify_token"]
            if path == "/api/users/password-reset/confirm" and isinstance(body.get("token"), str):
                body["token"] = FIXTURES["reset_token"]


@schemathesis.hook
def after_call(ctx, case, response):
    key = f"{case.operation.method.upper()} {case.operation.path}"
    reached.setdefault(key, set()).add(response.status_code)
    if REACHED:
        with open(REACHED, "w") as f:
            json.dump({k: sorted(v) for k, v in reached.items()}, f, indent=0, sort_keys=True)

