"""Which operations of an OpenAPI document answered 2xx in a fuzz run, and why
the others cannot. Usage: reached.py OPENAPI.json REACHED.json"""
import json
import sys

# Operations a fuzzer cannot bring to 2xx, and why (their 2xx paths have API tests).
CANNOT = {
    "POST /webhooks/stripe": "needs Stripe's signature over the exact bytes of a real event (tests/api/webhooks.rs)",
    "POST /admin/deliveries/{id}/retry": "needs a dead delivery: a webhook receiver failing for hours (tests/api/outbound_webhooks.rs)",
}

doc = json.load(open(sys.argv[1]))
try:
    reached = json.load(open(sys.argv[2]))
except FileNotFoundError:
    reached = {}
ops = [f"{m.upper()} {p}" for p, methods in doc["paths"].items() for m in methods]
ok = [o for o in ops if any(200 <= s < 300 for s in reached.get(o, []))]
print(f"operations answering 2xx: {len(ok)} of {len(ops)}")
for o in ops:
    if o not in ok:
        seen = ",".join(str(s) for s in reached.get(o, [])) or "not called"
        print(f"  never 2xx: {o} ({seen}){' - ' + CANNOT[o] if o in CANNOT else ''}")
