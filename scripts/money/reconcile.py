"""Money and custody invariants, Stripe against our books: for every PaymentIntent, what
Stripe kept (captured minus refunded) must be what its booking or order says
it kept (paid, minus the refunds made, whole or of some tickets), and money kept must have bought
something (a confirmed payable, or a cancelled one whose refund rules keep a
share). Refunds owed but not yet made, and payments still in flight, are
reported, not failed. Custody, read from the database: valid tickets never
exceed a tier's capacity, a seat has at most one valid ticket, an active
listing is on a valid ticket its seller holds, of an event still published,
and an owed payout's ticket was not revoked (a revoke undoes every resale of it). Prints every
mismatch; exits 1 on any.

Usage: reconcile.py DATABASE_URL STRIPE_API_BASE STRIPE_SECRET_KEY"""
import base64
import csv
import io
import json
import subprocess
import sys
import urllib.request

DATABASE_URL, STRIPE, SECRET = sys.argv[1], sys.argv[2].rstrip("/") + "/", sys.argv[3]

ROWS = """
COPY (
  SELECT 'booking', id, price_cents, status, coalesce(payment_status, ''), payment_intent_id,
         coalesce(refund_amount_cents, 0), refund_id IS NOT NULL, refund_requested_at IS NOT NULL
    FROM bookings WHERE payment_intent_id IS NOT NULL
  UNION ALL
  SELECT 'order', o.id, o.total_cents, o.status, coalesce(o.payment_status, ''), o.payment_intent_id,
         coalesce(CASE WHEN o.refund_id IS NOT NULL THEN o.refund_amount_cents END, 0)
           + coalesce((SELECT sum(r.amount_cents) FROM order_refunds r
                       WHERE r.event_id = o.event_id AND r.order_id = o.id AND r.refund_id IS NOT NULL), 0),
         o.refund_id IS NOT NULL OR EXISTS (SELECT 1 FROM order_refunds r
                       WHERE r.event_id = o.event_id AND r.order_id = o.id AND r.refund_id IS NOT NULL),
         o.refund_requested_at IS NOT NULL OR EXISTS (SELECT 1 FROM order_refunds r
                       WHERE r.event_id = o.event_id AND r.order_id = o.id AND r.refund_id IS NULL)
    FROM orders o WHERE o.payment_intent_id IS NOT NULL
) TO STDOUT WITH CSV"""


def books():
    out = subprocess.run(["psql", DATABASE_URL, "-qtAc", ROWS], check=True, capture_output=True, text=True).stdout
    rows = {}
    for kind, pid, amount, status, pay, intent, refund, made, owed in csv.reader(io.StringIO(out)):
        rows[pid] = dict(kind=kind, amount=int(amount), status=status, payment=pay, intent=intent,
                         refund=int(refund), made=made == "t", owed=owed == "t")
    return rows


def intents():
    auth = "Basic " + base64.b64encode(f"{SECRET}:".encode()).decode()
    found, after = [], None
    while True:
        url = f"{STRIPE}v1/payment_intents?limit=100" + (f"&starting_after={after}" if after else "")
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": auth})) as r:
            page = json.load(r)
        found += page["data"]
        if not page.get("has_more") or not page["data"]:
            return found
        after = page["data"][-1]["id"]


def kept_at_stripe(pi):
    charges = (pi.get("charges") or {}).get("data") or []
    return sum(c["amount"] - c.get("amount_refunded", 0) for c in charges if c.get("paid") and c.get("captured", True))


CUSTODY = {
    "more valid tickets than capacity in tier": """
        SELECT tt.id FROM ticket_tiers tt
        WHERE (SELECT count(*) FROM tickets t WHERE t.event_id = tt.event_id AND t.tier_id = tt.id
                 AND t.status IN ('valid', 'transfer_pending')) > tt.capacity""",
    "more than one valid ticket for seat": """
        SELECT seat_id FROM tickets WHERE seat_id IS NOT NULL AND status IN ('valid', 'transfer_pending')
        GROUP BY event_id, seat_id HAVING count(*) > 1""",
    "active listing on a ticket that is not its seller's valid one, or of an event not published": """
        SELECT l.id FROM listings l
          JOIN tickets t ON t.event_id = l.event_id AND t.id = l.ticket_id
          JOIN events e ON e.id = l.event_id
        WHERE l.status = 'active' AND (t.status <> 'valid' OR t.holder_id IS DISTINCT FROM l.seller_id
              OR e.status <> 'published' OR l.price_cents > l.max_price_cents)""",
    "payout owed for a revoked ticket": """
        SELECT p.id FROM payouts p JOIN listings l ON l.event_id = p.event_id AND l.id = p.listing_id
          JOIN tickets t ON t.event_id = l.event_id AND t.id = l.ticket_id
        WHERE p.status = 'owed' AND t.status = 'void'""",
}


def custody():
    found = []
    for what, query in CUSTODY.items():
        ids = subprocess.run(["psql", DATABASE_URL, "-qtAc", query], check=True, capture_output=True, text=True).stdout.split()
        found += [f"{what}: {i}" for i in ids]
    return found


def main():
    rows, mismatches, owed, in_flight = books(), [], 0, 0
    by_intent = {r["intent"]: (pid, r) for pid, r in rows.items()}
    all_intents = intents()
    for pi in all_intents:
        kept = kept_at_stripe(pi)
        meta = pi.get("metadata") or {}
        pid = meta.get("booking_id") or meta.get("order_id")
        mine = by_intent.get(pi["id"])
        if mine is None:
            # Not the intent its payable recorded (a stray or never attached): nothing may be kept.
            if kept > 0:
                mismatches.append(f"{pi['id']} ({pid}): {kept} kept by Stripe, but no booking or order holds this intent")
            continue
        pid, row = mine
        paid = row["amount"] if row["payment"] == "succeeded" else 0
        books_kept = paid - (row["refund"] if row["made"] else 0)
        if row["owed"] and not row["made"]:
            owed += 1
        if row["status"] == "pending" and kept > 0:
            in_flight += 1
            continue
        if books_kept < 0:
            mismatches.append(f"{pi['id']} {row['kind']} {pid} ({row['status']}): refunds recorded exceed what was paid ({books_kept})")
        elif kept != books_kept:
            mismatches.append(f"{pi['id']} {row['kind']} {pid} ({row['status']}): Stripe kept {kept}, our books say {books_kept}")
        elif kept > 0 and row["status"] not in ("confirmed", "cancelled", "refunded") and not row["owed"]:
            mismatches.append(f"{pi['id']} {row['kind']} {pid} ({row['status']}): {kept} kept for nothing and no refund owed")
    # Every payout is of a sold listing whose resale order was paid and kept.
    bad_payouts = subprocess.run(["psql", DATABASE_URL, "-qtAc", """
        SELECT p.id FROM payouts p JOIN listings l ON l.event_id = p.event_id AND l.id = p.listing_id
          JOIN orders o ON o.event_id = p.event_id AND o.id = p.order_id
        WHERE p.status <> 'cancelled' AND (l.status <> 'sold' OR o.status <> 'confirmed'
           OR o.listing_id <> l.id OR p.amount_cents + p.fee_cents <> o.total_cents)"""], check=True, capture_output=True, text=True).stdout.split()
    mismatches += [f"payout {p}: not a paid, sold listing's, or not its price" for p in bad_payouts]
    mismatches += custody()
    for line in mismatches:
        print("MISMATCH", line)
    print(f"intents={len(all_intents)} payables_with_intent={len(rows)} mismatches={len(mismatches)} "
          f"refunds_owed_not_made={owed} paid_still_pending={in_flight}")
    sys.exit(1 if mismatches else 0)


main()
