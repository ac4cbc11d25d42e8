#!/usr/bin/env python3
"""Helpers of scripts/bench-notify.

    notify_load.py receiver PORT COUNTFILE   # a webhook receiver answering 200, counting deliveries
    notify_load.py book BASE TOKEN SLUGS_FILE DAY0 COUNT  # COUNT free bookings, 16 at a time
"""

import concurrent.futures
import datetime
import http.server
import json
import sys
import threading
import urllib.request
import uuid


def receiver(port, countfile):
    lock = threading.Lock()
    seen = set()
    state = {"n": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            event = json.loads(body)
            with lock:
                state["n"] += 1
                seen.add(event["id"])
                with open(countfile, "w") as out:
                    out.write(f"{state['n']} {len(seen)}\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()


def book(base, token, slugs_file, day0, count):
    slugs = [s.strip() for s in open(slugs_file) if s.strip()]
    ids = {}
    for slug in slugs:
        with urllib.request.urlopen(f"{base}/professionals/{slug}") as res:
            ids[slug] = json.load(res)["id"]
    day0, count = int(day0), int(count)

    def one(i):
        slug = slugs[i % len(slugs)]
        slot = i // len(slugs)
        start = day0 + 8 * 3600 + slot * 1800
        body = json.dumps({
            "professional_id": ids[slug],
            "start_time": datetime.datetime.fromtimestamp(start, datetime.timezone.utc).isoformat(),
            "duration_minutes": 30,
        }).encode()
        req = urllib.request.Request(f"{base}/bookings", data=body, method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {token}",
            "Idempotency-Key": str(uuid.uuid4())})
        with urllib.request.urlopen(req) as res:
            return res.status

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(one, range(count)))
    print(sum(1 for s in statuses if s == 201))


if __name__ == "__main__":
    {"receiver": receiver, "book": book}[sys.argv[1]](*sys.argv[2:])
