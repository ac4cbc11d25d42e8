#!/usr/bin/env python3
"""An OTLP/HTTP receiver that accepts and counts what it is sent (for the
tracing benchmark; the body is not decoded). `otlp_sink.py PORT`; prints
`batches bytes` to stdout on SIGTERM/SIGINT."""
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received = {"batches": 0, "bytes": 0}


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        received["batches"] += 1
        received["bytes"] += length
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def stop(*_):
    print(f"{received['batches']} {received['bytes']}", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
