"""Money and custody invariants, Stripe against our books: for every PaymentIntent, what
Stripe kept (captured minus refunded) must be what its booking or order says
it kept (paid, minus the refunds made, whole or of some tickets), and money kept must have bought
something (a confirmed payable, or a cancelled one whose refund rules keep a
share). Refunds owed but not yet made, and payments still in flight, are
reported, not failed. Custody, read from the database: valid tickets never
exceed a tier's capacity, a seat has at most one valid ticket, an active
listing is on a valid ticket its seller holds, of an event still published,
and an owed payout's ticket was not revoked (a revoke undoes every resale of it). The queries are
scripts/money/invariants.sql, which the lifecycle test reads too. Prints every
mismatch; exits 1 on any.

Usage: reconcile.py DATABASE_URL STRIPE_API_BASE STRIPE_SECRET_KEY"""
import base64
import os
import csv
import io
import json
import subprocess
import sys
import urllib.request

DATABASE_URL, STRIPE, SECRET = sys.argv[1], sys.argv[2].rstrip("/") + "/", sys.argv[3]

INVARIANTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "invariants.sql")


def sections():
    """The file's queries by their `-- check:` / `-- books:` heading."""
    found, name = {}, None
    for line in open(INVARIANTS):
        if line.startswith("-- check: ") or line.startswith("-- books:"):
            name = line[3:].strip()
            found[name] = ""
        elif name and not line.startswith("--"):
            found[name] += line
    return {k: v.strip().rstrip(";") for k, v in found.items()}


SECTIONS = sections()


def psql(query):
    return subprocess.run(["psql", DATABASE_URL, "-qtAc", query], check=True, capture_output=True, text=True).stdout


def books():
    query = next(q for k, q in SECTIONS.items() if k.startswith("books:"))
    out = psql(f"COPY ({query}) TO STDOUT WITH CSV")
    rows = {}
    for kind, pid, intent, status, pay, paid, refunded, owed in csv.reader(io.StringIO(out)):
        rows[pid] = dict(kind=kind, status=status, payment=pay, intent=intent,
                         paid=int(paid), refunded=int(refunded), owed=owed == "t")
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


def custody():
    found = []
    for name, query in SECTIONS.items():
        if name.startswith("check: "):
            found += [f"{name[7:]}: {i}" for i in psql(query).split()]
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
        books_kept = row["paid"] - row["refunded"]
        if row["owed"]:
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
    mismatches += custody()
    for line in mismatches:
        print("MISMATCH", line)
    print(f"intents={len(all_intents)} payables_with_intent={len(rows)} mismatches={len(mismatches)} "
          f"refunds_owed_not_made={owed} paid_still_pending={in_flight}")
    sys.exit(1 if mismatches else 0)


main()
