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

import schemathesis

FIXTURES = json.load(open(os.environ["FUZZ_FIXTURES"]))
REACHED = os.environ.get("FUZZ_REACHED")
BASE = os.environ.get("FUZZ_BASE", "http://127.0.0.1:3000")
reached: dict = {}

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
    # Three times in four a real resource, else the generated value (404s are contract too).
    if random.random() < 0.75:
        params = case.path_parameters or {}
        for name, key in mapping(method, path).items():
            # A UUID parameter only when it is one; events and professionals
            # are named by id or slug, where any string is well-formed.
            if name in params and (is_uuid(params[name]) or key in ("pro", "event", "event_cancel")):
                params[name] = FIXTURES[key]
        headers = case.headers if case.headers is not None else {}
        if "If-Match" in headers and path in VERSIONS and VERSIONS[path]:
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
