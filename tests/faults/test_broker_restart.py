"""Restart the embedded broker (memory storage: every topic comes back empty) while the pipeline runs."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson

from newswire.schemas import topics
from support import TIMEOUT

from .conftest import Poster, StoryWatcher, Up, entry_body, read_topic, running, wait_until


async def _story_entries(bootstrap: str, story: str) -> list[dict]:
    return [orjson.loads(value) for key, value in await read_topic(bootstrap, topics.ENTRIES, idle_ms=300)
            if key == story.encode()]


async def test_after_a_broker_restart_the_processor_starts_a_new_epoch_on_the_recreated_topics(up: Up) -> None:
    """Entries posted after the restart reach the recreated newswire.entries once each, seq 1.. in a new epoch."""
    story = "fault-broker-processor"
    poster = Poster(up.ingest_url)
    async with aiohttp.ClientSession() as session:
        for i in range(3):
            await poster.post(session, story, entry_body(i, story))
        before = await wait_until("entries before the restart",
                                  lambda: _has_ids(up.bootstrap, story, range(3)), TIMEOUT * 2)
        await up.kill("broker")
        for i in range(3, 6):
            await poster.post(session, story, entry_body(i, story), timeout=TIMEOUT * 6)
        after = await wait_until("entries after the restart",
                                 lambda: _has_ids(up.bootstrap, story, range(3, 6)), TIMEOUT * 6)

    assert sorted(e["id"] for e in after) == [f"{story}-e{i}" for i in range(3, 6)]
    assert sorted(e["seq"] for e in after) == [1, 2, 3]
    assert len({e["epoch"] for e in after}) == 1
    assert after[0]["epoch"] != before[0]["epoch"]


async def _has_ids(bootstrap: str, story: str, indices: range) -> list[dict] | None:
    """The story's records on newswire.entries once they hold exactly the entries ``indices``, else None."""
    records = await _story_entries(bootstrap, story)
    return records if {e["id"] for e in records} == {f"{story}-e{i}" for i in indices} else None


async def _watch_readyz(url: str, statuses: list[int]) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while True:
            try:
                async with session.get(url) as resp:
                    statuses.append(resp.status)
            except (aiohttp.ClientError, TimeoutError):
                statuses.append(0)
            await asyncio.sleep(0.02)


async def test_after_a_broker_restart_everything_reconnects_and_clients_resync(up: Up) -> None:
    """/readyz is 503 while the broker is away and 200 again after; clients get resync with a new epoch,
    entries posted afterwards flow."""
    story = "fault-broker"
    watcher = StoryWatcher(up.ws_url, story)
    poster = Poster(up.ingest_url)
    readyz: list[int] = []
    async with running(watcher.run()):
        await wait_until("the client connected", lambda: watcher.connections)
        async with aiohttp.ClientSession() as session:
            for i in range(5):
                await poster.post(session, story, entry_body(i, story))
            await wait_until("entries before the restart", lambda: len(watcher.entries) == 5)
            first_epoch = watcher.epochs[-1]
            async with running(_watch_readyz(f"{up.gateway_url}/readyz", readyz)):
                await up.kill("broker")
                await wait_until("the gateway not ready while the broker was away", lambda: 503 in readyz)
                await wait_until("the gateway ready again", lambda: readyz[-1] == 200, timeout=TIMEOUT * 4)
            for i in range(5, 10):
                await poster.post(session, story, entry_body(i, story), timeout=TIMEOUT * 6)
        await wait_until("entries after the restart",
                         lambda: {f"{story}-e{i}" for i in range(5, 10)} <= watcher.ids, timeout=TIMEOUT * 6)
    assert watcher.resyncs and watcher.resyncs[0]["reason"] == "epoch_changed"
    assert watcher.epochs[-1] != first_epoch
    after = [m for m in watcher.entries if m["epoch"] == watcher.epochs[-1]]
    assert [m["seq"] for m in after] == list(range(1, 6))
    assert watcher.duplicates() == []
