"""SIGKILL the broker of ``newswire up`` while entries flow; ``up`` starts it again on the same data folder.

Apache Kafka keeps what it acknowledged (acks=all), so nothing is lost: every accepted entry reaches the
client once, in one epoch, with no gap in seq, and the readiness probe reports the outage.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp
import orjson

from newswire.schemas import topics
from support import TIMEOUT, read_topic

from .conftest import Poster, StoryWatcher, Up, running, wait_until

COUNT = 60


async def _watch_readyz(url: str, statuses: list[int]) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while True:
            try:
                async with session.get(url) as resp:
                    statuses.append(resp.status)
            except (aiohttp.ClientError, TimeoutError):
                statuses.append(0)
            await asyncio.sleep(0.02)


async def test_a_broker_sigkill_mid_stream_loses_nothing_and_shows_nothing_twice(up: Up) -> None:
    """Entries posted before, during and after a broker SIGKILL: each accepted one reaches the client once,
    seq 1..N in the same epoch with no resync; /readyz is 503 while the broker is away and 200 after;
    newswire.entries holds each (id, version) once."""
    story = "fault-broker"
    watcher = StoryWatcher(up.ws_url, story)
    poster = Poster(up.ingest_url)
    readyz: list[int] = []
    async with running(watcher.run()):
        await wait_until("the client connected", lambda: watcher.connections)
        async with running(poster.post_many(story, range(COUNT), per_second=20)) as (posting,):
            await wait_until("a third of the entries at the client", lambda: len(watcher.entries) >= COUNT // 3)
            async with running(_watch_readyz(f"{up.gateway_url}/readyz", readyz)):
                await up.kill("broker")
                await wait_until("the gateway ready again", lambda: readyz and readyz[-1] == 200, TIMEOUT * 4)
            await asyncio.wait_for(posting, TIMEOUT * 8)
        expected = {f"{story}-e{i}" for i in range(COUNT)}
        await wait_until("every entry at the client", lambda: watcher.ids >= expected, TIMEOUT * 4)

    assert 503 in readyz, "the gateway never reported the broker away"
    assert sorted(poster.accepted) == sorted(expected)
    assert watcher.duplicates() == []
    assert watcher.resyncs == [] and len(watcher.epochs) == 1, (watcher.resyncs, watcher.epochs)
    assert [m["seq"] for m in watcher.entries] == list(range(1, COUNT + 1))
    records = [orjson.loads(value) for key, value in await read_topic(up.bootstrap, topics.ENTRIES)
               if key == story.encode()]
    assert Counter((r["id"], r["version"]) for r in records) == Counter({(i, 1): 1 for i in expected})
