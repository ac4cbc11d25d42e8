#!/usr/bin/env python3
"""A local SMTP sink (aiosmtpd) for development and tests: accepts every
message on 127.0.0.1 and stores it as `<Message-ID>.eml` in a folder.

Like a mailbox that de-duplicates by Message-ID (as mail clients do), a
second copy of a Message-ID is not stored again; it is counted in
`duplicates.log` so a test or a check can see that it happened.

    smtp_sink.py --port 2525 --dir .local/mail
"""

import argparse
import asyncio
import email.parser
import os
import re
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        headers = email.parser.BytesHeaderParser().parsebytes(raw)
        message_id = (headers.get("Message-ID") or "").strip().strip("<>")
        name = re.sub(r"[^A-Za-z0-9@._-]", "_", message_id) or f"no-id-{time.time_ns()}"
        path = os.path.join(self.folder, name + ".eml")
        try:
            # O_EXCL: of two copies arriving at once, one is stored.
            fd = os.open(path + ".part", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            fd = None
        if fd is None or os.path.exists(path):
            if fd is not None:
                os.close(fd)
                os.unlink(path + ".part")
            with open(os.path.join(self.folder, "duplicates.log"), "a") as log:
                log.write(f"{name}\n")
            return "250 OK (duplicate Message-ID, not stored again)"
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
        os.rename(path + ".part", path)
        return "250 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--dir", default=".local/mail")
    args = parser.parse_args()
    controller = Controller(Sink(args.dir), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"SMTP sink on 127.0.0.1:{args.port}, storing mail in {args.dir}", flush=True)
    try:
        asyncio.new_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
