"""200 concurrent clients race for one slot: prints how many won, lost, failed,
and the slowest answer. Usage: hotspot.py BASE_URL CLIENTS PROFESSIONAL START_TIME"""
import asyncio
import sys
import time
import uuid

import aiohttp


async def one(session, url, body):
    started = time.perf_counter()
    async with session.post(url, json=body, headers={"Idempotency-Key": str(uuid.uuid4())}) as r:
        await r.read()
        return r.status, time.perf_counter() - started


async def main():
    base, clients, professional, start = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    body = {"professional_id": professional, "start_time": start, "duration_minutes": 60}
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        results = await asyncio.gather(*(one(session, base + "/bookings", body) for _ in range(clients)))
    statuses = [s for s, _ in results]
    slowest = max(t for _, t in results)
    print(f"s201={statuses.count(201)} s409={statuses.count(409)} "
          f"other={len(statuses) - statuses.count(201) - statuses.count(409)} slowest_ms={slowest * 1000:.0f}")


asyncio.run(main())
