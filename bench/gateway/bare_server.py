"""The ratio baseline: a bare ``websockets.broadcast()`` server emitting ~1.5 KB entries at RATE per second.

usage: python bare_server.py PORT RATE
Every client gets every event; the subscribe message is read and ignored. No history, no limits.
"""

from __future__ import annotations

import asyncio
import sys
import time

import orjson
from payload import bench_entry  # type: ignore[import-not-found]
from websockets.asyncio.server import broadcast, serve
from websockets.exceptions import ConnectionClosed


async def main(port: int, rate: float) -> None:
    clients: set = set()  # type: ignore[type-arg]

    async def handler(ws) -> None:  # type: ignore[no-untyped-def]
        clients.add(ws)
        try:
            async for _ in ws:
                pass
        except ConnectionClosed:  # the load generator ends its clients without a close handshake
            pass
        finally:
            clients.discard(ws)

    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=4, ping_interval=None,
                     backlog=4096):
        start = time.monotonic()
        seq = 0
        while True:
            seq += 1
            entry = bench_entry("bare", seq)
            frame = orjson.dumps({"type": "entry", "seq": seq, "ts": entry["ts"], "channel": "story:bare",
                                  "epoch": "E", "op": "create", "entry": entry})
            broadcast(clients, frame, text=True)
            delay = start + seq / rate - time.monotonic()
            await asyncio.sleep(max(0.0, delay))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
