"""Sells TICKETS free tickets of one event to one buyer (orders of 100, a few
at once) and writes their codes, one per line, to OUT. Usage:
checkin_setup.py BASE_URL TOKEN EVENT_ID TIER_ID TICKETS OUT"""
import asyncio
import sys
import uuid

import aiohttp


async def main():
    base, token, event, tier, total, out = sys.argv[1:7]
    total = int(total)
    headers = {"Authorization": f"Bearer {token}"}
    codes = []

    async def order(session, n):
        body = {"items": [{"tier_id": tier, "quantity": n}]}
        key = {"Idempotency-Key": str(uuid.uuid4()), **headers}
        async with session.post(f"{base}/events/{event}/orders", json=body, headers=key) as r:
            answer = await r.json()
            if r.status != 201:
                raise SystemExit(f"order: {r.status} {answer}")
            codes.extend(t["code"] for t in answer["tickets"])

    async with aiohttp.ClientSession() as session:
        sizes = [100] * (total // 100) + ([total % 100] if total % 100 else [])
        for i in range(0, len(sizes), 4):
            await asyncio.gather(*(order(session, n) for n in sizes[i:i + 4]))
    with open(out, "w") as f:
        f.write("\n".join(codes) + "\n")
    print(len(codes))


asyncio.run(main())
