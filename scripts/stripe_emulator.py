"""localstripe, bound to 127.0.0.1, behind a thin compatibility layer.

localstripe (PyPI) is a stateful Stripe emulator. Its replies lack fields
that typed Stripe clients (async-stripe 1.0) require, so this launcher runs
localstripe's own aiohttp app in-process with one extra middleware that fills
them in. It also skips localstripe's pickle-the-whole-store-on-every-POST,
which makes it slower with every object it holds, and delivers webhooks to all
endpoints at once (localstripe posts to one after another, so one slow or dead
endpoint delays every other), forgetting endpoints that refuse connections.

    python stripe_emulator.py --port 8420
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import logging
import os
import re

import aiohttp
from aiohttp import web
from localstripe import server, webhooks
from localstripe.errors import UserError
from localstripe.resources import PaymentIntent, store


def _fill_payment_intent(pi):
    status = pi.get("status")
    # localstripe keeps an amount changed by an update as the form's string.
    if isinstance(pi.get("amount"), str) and pi["amount"].isdigit():
        pi["amount"] = int(pi["amount"])
    amount = pi.get("amount") or 0
    pi.setdefault("amount_capturable", amount if status == "requires_capture" else 0)
    pi.setdefault("amount_received", amount if status == "succeeded" else 0)
    pi.setdefault("confirmation_method", "automatic")
    pi.setdefault("payment_method_types", ["card"])
    pi.setdefault("livemode", False)
    charge = pi.get("latest_charge")
    if isinstance(charge, dict):
        pi["latest_charge"] = charge.get("id")
    error = pi.get("last_payment_error")
    if isinstance(error, dict):
        error.setdefault("type", "card_error")
    return pi


def _fill_refund(refund):
    refund.setdefault("status", "succeeded")
    return refund


def compat(value):
    """Recursively fills what async-stripe needs into a localstripe reply."""
    if isinstance(value, list):
        return [compat(v) for v in value]
    if not isinstance(value, dict):
        return value
    value = {k: compat(v) for k, v in value.items()}
    kind = value.get("object")
    if kind == "payment_intent":
        _fill_payment_intent(value)
    elif kind == "refund":
        _fill_refund(value)
    elif kind == "event":
        value.setdefault("pending_webhooks", 0)
        value.setdefault("livemode", False)
    elif kind == "list":
        value.setdefault("url", "")
    return value


@web.middleware
async def compat_middleware(request, handler):
    response = await handler(request)
    body = getattr(response, "body", None)
    if response.content_type == "application/json" and body:
        try:
            data = json.loads(body)
        except ValueError:
            return response
        response.body = json.dumps(compat(data)).encode("utf-8")
    return response


async def send_webhook(event):
    """Signs and delivers one event to every registered endpoint concurrently."""
    payload = json.dumps(compat(event._export()), sort_keys=True).encode("utf-8")
    signed = b"%d.%s" % (event.created, payload)
    await asyncio.sleep(0.5)  # Stripe, too, delivers shortly after the change

    async def deliver(session, endpoint_id, hook):
        if hook.events is not None and event.type not in hook.events:
            return
        signature = hmac.new(hook.secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Stripe-Signature": "t=%d,v1=%s" % (event.created, signature)}
        try:
            async with session.post(hook.url, data=payload, headers=headers) as response:
                await response.read()
        except aiohttp.ClientConnectorError:
            webhooks._webhooks.pop(endpoint_id, None)  # nobody listens there any more
        except (aiohttp.ClientError, asyncio.TimeoutError):
            pass

    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(deliver(session, i, h) for i, h in list(webhooks._webhooks.items())))


STANDIN_JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stripe_js_standin.js")


def _card_error(code, message, intent=None):
    error = {"type": "card_error", "code": code, "message": message}
    if intent is not None:
        error["payment_intent"] = intent
    return {"error": error}


def _luhn(number):
    digits = [int(d) for d in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def confirm_card_payment(data):
    """What the stand-in Stripe.js's confirmCardPayment answers: attaches the
    test method the typed card stands for, confirms, and says how it went."""
    secret = str(data.get("client_secret") or "")
    match = re.match(r"^(pi_\w+)_secret_", secret)
    if not str(data.get("key") or "").startswith("pk_") or not match:
        return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API key or client secret."}}
    try:
        intent = PaymentIntent._api_retrieve(match.group(1))
    except UserError:
        intent = None
    if intent is None or intent.client_secret != secret:
        return 401, {"error": {"type": "invalid_request_error", "message": "No such payment_intent."}}
    card = data.get("card") or {}
    number = re.sub(r"\s+", "", str(card.get("number") or ""))
    expiry = re.match(r"^(\d\d)/(\d\d)$", str(card.get("expiry") or "").strip())
    if not number.isdigit() or len(number) < 12 or not _luhn(number):
        return 200, _card_error("incorrect_number", "Your card number is incorrect.")
    if not expiry or not 1 <= int(expiry.group(1)) <= 12:
        return 200, _card_error("invalid_expiry_month", "Your card's expiration date is incomplete.")
    if not re.match(r"^\d{3,4}$", str(card.get("cvc") or "")):
        return 200, _card_error("incomplete_cvc", "Your card's security code is incomplete.")
    declined = number == "4000000000000002"
    if intent.status not in ("requires_payment_method", "requires_confirmation"):
        return 200, {"paymentIntent": compat(intent._export())}
    if intent.latest_charge is not None and intent.latest_charge.status == "failed":
        # Stripe lets a declined intent be paid with another card; localstripe
        # would keep answering the old decline.
        intent.latest_charge = None
    try:
        PaymentIntent._api_update(intent.id, payment_method="pm_card_chargeCustomerFail" if declined else "pm_card_visa")
        PaymentIntent._api_confirm(intent.id)
    except UserError:
        declined = True
    exported = compat(intent._export())
    if declined or exported.get("status") == "requires_payment_method":
        return 200, _card_error("card_declined", "Your card was declined.", exported)
    return 200, {"paymentIntent": exported}


@web.middleware
async def standin_js_middleware(request, handler):
    """Serves the stand-in Stripe.js and its confirm call (before localstripe's own)."""
    if request.path == "/js.stripe.com/v3/" and request.method == "GET":
        with open(STANDIN_JS, "rb") as f:
            return web.Response(body=f.read(), content_type="application/javascript")
    if request.path == "/js.stripe.com/v3/confirm_card_payment":
        if request.method == "OPTIONS":
            return web.Response(status=204)
        try:
            data = await request.json()
        except ValueError:
            data = {}
        status, body = confirm_card_payment(data if isinstance(data, dict) else {})
        return web.json_response(body, status=status)
    return await handler(request)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    store.dump_to_disk = lambda *a, **k: None
    webhooks._send_webhook = send_webhook
    server.app.middlewares.append(compat_middleware)
    server.app.middlewares.insert(0, standin_js_middleware)
    logging.basicConfig(level=logging.WARNING)
    web.run_app(server.app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
